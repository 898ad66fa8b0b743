package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
)

// A sandbox user, as Meta names them to a business since 2026: every user
// has a business-scoped user ID (BSUID) in the number's WABA; users who
// write by username have no number the business may see.
type user struct {
	waID     string // "" for a username user
	userID   string // the BSUID
	username string
}

// key is what the sandbox keeps the user's window and pair rate under:
// the number when there is one, else the BSUID.
func (u user) key() string {
	if u.waID != "" {
		return u.waID
	}
	return u.userID
}

// BSUID is the business-scoped user ID the sandbox gives the phone number
// waID in WABA wabaID: stable, as Meta's is within a business portfolio;
// the country of the number, a dot and 19 digits.
func BSUID(wabaID, waID string) string {
	region := phone.Region(waID)
	if region == "" {
		region = "US"
	}
	sum := sha256.Sum256([]byte(wabaID + "/" + waID))
	return region + "." + strconv.FormatUint(1e18+binary.BigEndian.Uint64(sum[:8])%9e18, 10)
}

// userKey scopes a BSUID to a WABA in the sandbox's maps.
func userKey(wabaID, bsuid string) string { return wabaID + "/" + bsuid }

// inboundUser is the user who writes from: a phone number, or the BSUID of
// a username user. The sandbox remembers the user, so that a send to
// their BSUID finds them (and their window) again.
func (s *Sandbox) inboundUser(num number, from, username string) (user, bool) {
	var u user
	if openwaba.IsBSUID(from) {
		u = user{userID: from, username: username}
	} else {
		waID := digits(from)
		if !toRE.MatchString(waID) {
			return u, false
		}
		u = user{waID: waID, userID: BSUID(num.WABAID, waID), username: username}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := userKey(num.WABAID, u.userID)
	if u.waID != "" {
		s.phones[k] = u.waID
	}
	if username != "" {
		s.usernames[k] = username
	} else {
		u.username = s.usernames[k]
	}
	return u, true
}

// recipientUser is who a send names: to (a number) or, without to, the
// BSUID in recipient (Meta: if both are given, to wins).
func (s *Sandbox) recipientUser(num number, to, recipient string) user {
	var u user
	if to != "" {
		u.waID = digits(to)
		u.userID = BSUID(num.WABAID, u.waID)
	} else {
		u.userID = recipient
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := userKey(num.WABAID, u.userID)
	if u.waID == "" {
		u.waID = s.phones[k] // a number the user wrote from: Meta may share it
	}
	u.username = s.usernames[k]
	return u
}
