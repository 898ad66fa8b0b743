package openwaba

import (
	"context"
	"regexp"
	"time"
)

// User is a WhatsApp user as Meta names them to one business: by phone
// number (wa_id) when Meta shares it, and since 2026 by a business-scoped
// user ID (BSUID), which Meta sends whether or not the user has a
// username. A user who adopts a username may have their number withheld;
// then the BSUID is all there is to answer them by.
type User struct {
	WaID         string // the phone number, digits only; "" when withheld
	UserID       string // the BSUID, e.g. US.13491208655302741918
	ParentUserID string // the parent BSUID of linked portfolios, US.ENT.…
	Username     string // the user's username, if they have one
}

// bsuidRE is the form Meta documents for business-scoped user IDs: a
// two-letter ISO 3166 country code, a dot, and up to 128 alphanumerics; a
// parent BSUID has ENT between the two (US.ENT.11815799212886844830).
var bsuidRE = regexp.MustCompile(`^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$`)

// IsBSUID reports whether s is a business-scoped user ID or a parent one.
// Phone numbers never are: they have no letters.
func IsBSUID(s string) bool { return bsuidRE.MatchString(s) }

// IsParentBSUID reports whether s is a parent BSUID.
func IsParentBSUID(s string) bool { return IsBSUID(s) && s[3:7] == "ENT." }

// BSUIDCountry is the ISO 3166 country code a BSUID starts with ("US"),
// or "" when s is not a BSUID.
func BSUIDCountry(s string) string {
	if !IsBSUID(s) {
		return ""
	}
	return s[:2]
}

// Key is the one id openwaba keeps the user's conversation under (inbound
// messages, their webhook order): the phone number when it is known, else
// the BSUID, else the parent BSUID. Windows are kept under every id (IDs).
func (u User) Key() string {
	switch {
	case u.WaID != "":
		return u.WaID
	case u.UserID != "":
		return u.UserID
	}
	return u.ParentUserID
}

// IDs are the user's ids that name them as a recipient: phone number,
// BSUID and parent BSUID, those that are known.
func (u User) IDs() []string {
	var ids []string
	for _, id := range []string{u.WaID, u.UserID, u.ParentUserID} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Zero reports whether nothing is known of the user.
func (u User) Zero() bool { return u == User{} }

// Tells reports whether seen (who a status report names) tells nothing
// u does not already say: each of seen's ids and its username is empty
// or u's. A message's second and third report then link nothing new.
func (u User) Tells(seen User) bool {
	same := func(seen, known string) bool { return seen == "" || seen == known }
	return !(same(seen.WaID, u.WaID) && same(seen.UserID, u.UserID) &&
		same(seen.ParentUserID, u.ParentUserID) && same(seen.Username, u.Username))
}

// Has reports whether id is one of the user's ids.
func (u User) Has(id string) bool {
	return id != "" && (id == u.WaID || id == u.UserID || id == u.ParentUserID)
}

// UserOf is the user a message recipient names: a BSUID, a parent BSUID or
// a phone number.
func UserOf(recipient string) User {
	switch {
	case IsParentBSUID(recipient):
		return User{ParentUserID: recipient}
	case IsBSUID(recipient):
		return User{UserID: recipient}
	}
	return User{WaID: recipient}
}

// LinkUser merges what Meta just reported of a user (seen) with the
// identities the store has that share one of seen's ids (stored), in one
// scope (see UserStore). It returns the user as known from now on, and the
// stored identities that remain other users: those that have a different
// id of a kind seen has (a phone number that now comes with another BSUID:
// the number was given to someone else, or the BSUID changed without a
// user_id_update), stripped of the ids seen took from them.
//
// What seen says wins; what it does not say is kept from the stored
// identities it agrees with. Usernames change without the BSUID changing,
// so a username seen replaces the stored one.
func LinkUser(stored []User, seen User) (User, []User) {
	merged := seen
	var others []User
	for _, st := range stored {
		if conflicts(st, seen) {
			rest := st
			for _, id := range seen.IDs() {
				if rest.Has(id) {
					switch id {
					case rest.WaID:
						rest.WaID = ""
					case rest.UserID:
						rest.UserID = ""
					case rest.ParentUserID:
						rest.ParentUserID = ""
					}
				}
			}
			others = append(others, rest) // it keeps the id it conflicts on
			continue
		}
		if merged.WaID == "" {
			merged.WaID = st.WaID
		}
		if merged.UserID == "" {
			merged.UserID = st.UserID
		}
		if merged.ParentUserID == "" {
			merged.ParentUserID = st.ParentUserID
		}
		if merged.Username == "" {
			merged.Username = st.Username
		}
	}
	return merged, others
}

// conflicts reports whether st has an id of a kind seen has, with another
// value: then st is someone else (or who the user was before).
func conflicts(st, seen User) bool {
	differ := func(a, b string) bool { return a != "" && b != "" && a != b }
	return differ(st.WaID, seen.WaID) || differ(st.UserID, seen.UserID) || differ(st.ParentUserID, seen.ParentUserID)
}

// UserIDChange is Meta's user_id_update webhook (or a system message of
// type user_changed_user_id): a user's BSUID, and with it maybe the parent
// BSUID, changed. A user who changes their phone number gets a new BSUID.
type UserIDChange struct {
	WaID                   string // the phone number, when Meta shares it
	Previous, Current      string // BSUIDs
	PreviousParent, Parent string // parent BSUIDs, when parent BSUIDs are on
	At                     time.Time
}

// UserStore keeps what openwaba learnt of users' ids. Identities are kept
// per account and WhatsApp Business Account (WABA): a BSUID belongs to one
// business portfolio, and openwaba does not know which WABAs share a
// portfolio, so it links a phone number to a BSUID only within one WABA,
// never across (a WABA belongs to one portfolio). RecordInbound and
// ApplyStatus link the ids they see.
type UserStore interface {
	// User finds the user one of whose ids (phone number, BSUID or parent
	// BSUID) is id, among the users of the WABA of the account's sender
	// number. Unknown: ErrNotFound.
	User(ctx context.Context, accountID int64, sender, id string) (User, error)
	// ChangeUserID applies a user_id_update reported to the account's
	// sender number: the user known by c.Previous is known by c.Current
	// from now on, windows included.
	ChangeUserID(ctx context.Context, accountID int64, sender string, c UserIDChange) error
}
