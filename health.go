package openwaba

import (
	"fmt"
	"slices"
	"time"
)

// Quality ratings, as Meta gives them to numbers and templates.
const (
	QualityGreen   = "GREEN"   // high
	QualityYellow  = "YELLOW"  // medium
	QualityRed     = "RED"     // low
	QualityUnknown = "UNKNOWN" // not rated yet
)

// Restriction types of Meta's account_update ACCOUNT_RESTRICTION.
const (
	RestrictBusinessInitiated = "RESTRICTED_BIZ_INITIATED_MESSAGING"      // no templates
	RestrictCustomerInitiated = "RESTRICTED_CUSTOMER_INITIATED_MESSAGING" // no replies in the service window
	RestrictAddPhoneNumber    = "RESTRICTED_ADD_PHONE_NUMBER_ACTION"      // no new numbers; sending is not concerned
)

// Ban states of Meta's account_update DISABLED_UPDATE (waba_ban_state);
// REINSTATE clears the state.
const (
	BanDisabled           = "DISABLE"
	BanScheduled          = "SCHEDULE_FOR_DISABLE"
	BanReinstated         = "REINSTATE"
	BanDeleted            = "DELETED" // the account_update ACCOUNT_DELETED
	MetaCodeAccountLocked = 131031    // Meta's "Business account locked"
)

// Webhook fields of Meta that report a number's health.
const (
	FieldPhoneNumberQuality = "phone_number_quality_update"
	FieldAccountUpdate      = "account_update"
)

// Restriction is a limit Meta put on a WhatsApp Business Account or one of
// its numbers.
type Restriction struct {
	Type    string    // one of the Restrict constants, or another Meta named
	Expires time.Time // zero: until Meta lifts it
}

// Active reports whether the restriction holds at now.
func (r Restriction) Active(now time.Time) bool { return r.Expires.IsZero() || now.Before(r.Expires) }

// SenderHealth is what Meta last reported about a sender number: its
// quality rating, messaging limit, the restrictions on it and whether its
// account is banned. The zero value is a number Meta said nothing about.
type SenderHealth struct {
	Quality        string // one of the Quality constants; "" when never reported
	MessagingLimit string // Meta's tier: TIER_250, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED, ...
	Restrictions   []Restriction
	BanState       string // BanDisabled, BanScheduled, BanDeleted; "" none
	Event          string // Meta's event of the last report that changed it
	UpdatedAt      time.Time
}

// HealthReport is one report of Meta about the health of numbers: a change
// of its phone_number_quality_update or account_update webhook field.
type HealthReport struct {
	Field  string // FieldPhoneNumberQuality or FieldAccountUpdate
	WABAID string
	// Number is the number concerned, digits only; empty for a report
	// about the whole account: every number of WABAID.
	Number string
	// Event is Meta's: FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE, ONBOARDING,
	// THROUGHPUT_UPGRADE (phone_number_quality_update);
	// ACCOUNT_RESTRICTION, ACCOUNT_VIOLATION, DISABLED_UPDATE,
	// ACCOUNT_DELETED (account_update).
	Event          string
	MessagingLimit string        // when the report gives one
	Restrictions   []Restriction // ACCOUNT_RESTRICTION: the restrictions now in force
	BanState       string        // DISABLED_UPDATE: waba_ban_state
	Violation      string        // ACCOUNT_VIOLATION: violation_type
	At             time.Time
}

// Apply returns the health after report r. The rules:
//
//   - FLAGGED: the quality rating fell to low: RED.
//   - UNFLAGGED: it is back to medium or high; recorded as YELLOW, the
//     lower of the two (Meta's report does not say which).
//   - a messaging limit in any report replaces the one before (UPGRADE,
//     DOWNGRADE, ONBOARDING, THROUGHPUT_UPGRADE carry one).
//   - ACCOUNT_RESTRICTION: its restrictions replace the ones before; a
//     restriction ends at its expiry without another report.
//   - DISABLED_UPDATE: the ban state; REINSTATE clears it.
//   - ACCOUNT_DELETED: as banned (BanDeleted).
//   - ACCOUNT_VIOLATION and the other events change nothing but Event.
func (h SenderHealth) Apply(r HealthReport) SenderHealth {
	out := h
	out.Restrictions = slices.Clone(h.Restrictions)
	switch r.Event {
	case "FLAGGED":
		out.Quality = QualityRed
	case "UNFLAGGED":
		out.Quality = QualityYellow
	case "ACCOUNT_RESTRICTION":
		out.Restrictions = slices.Clone(r.Restrictions)
	case "DISABLED_UPDATE":
		out.BanState = r.BanState
		if r.BanState == BanReinstated {
			out.BanState = ""
		}
	case "ACCOUNT_DELETED":
		out.BanState = BanDeleted
	}
	if r.MessagingLimit != "" {
		out.MessagingLimit = r.MessagingLimit
	}
	out.Event, out.UpdatedAt = r.Event, r.At
	return out
}

// Same reports whether h and o say the same about the number, whenever and
// by whichever event they were reported: a repeated report changes
// nothing.
func (h SenderHealth) Same(o SenderHealth) bool {
	return h.Quality == o.Quality && h.MessagingLimit == o.MessagingLimit && h.BanState == o.BanState &&
		slices.EqualFunc(h.Restrictions, o.Restrictions, func(a, b Restriction) bool {
			return a.Type == b.Type && a.Expires.Equal(b.Expires)
		})
}

// Restricted returns the active restriction of type typ at now, if any.
func (h SenderHealth) Restricted(typ string, now time.Time) (Restriction, bool) {
	for _, r := range h.Restrictions {
		if r.Type == typ && r.Active(now) {
			return r, true
		}
	}
	return Restriction{}, false
}

// DefaultHealthRecheck is how long a message held back by its number's
// health waits before the dispatcher looks again.
const DefaultHealthRecheck = 15 * time.Minute

// Gate is the dispatcher's decision about a message given its number's
// health: send it (the zero Gate), hold it until Hold (it stays queued,
// with Text as its last error, and expires, refunded, when its validity
// ends first), or fail it with Code and Text (refunded).
type Gate struct {
	Hold time.Time
	Fail bool
	Code int
	Text string
}

// Gate decides whether a message of category (a template when template)
// may go out from a number of health h at now; recheck is how long a held
// message waits before it is decided again. The rules, in order:
//
//  1. The number's account is banned (DISABLE) or deleted: every message
//     fails with Meta's 131031; Meta would refuse it.
//  2. Business-initiated messaging is restricted: templates wait until the
//     restriction expires (or recheck, without expiry).
//  3. Customer-initiated messaging is restricted: other messages (replies
//     in the service window) wait likewise.
//  4. The quality rating is RED: marketing templates wait, rechecked every
//     recheck, until it is not (Meta lowers the messaging limit of numbers
//     that stay RED; utility, authentication and service messages go on).
func (h SenderHealth) Gate(category PriceCategory, template bool, now time.Time, recheck time.Duration) Gate {
	switch h.BanState {
	case BanDisabled, BanDeleted:
		return Gate{Fail: true, Code: MetaCodeAccountLocked,
			Text: fmt.Sprintf("WhatsApp disabled the number's WhatsApp Business Account (%s): nothing can be sent from it", h.BanState)}
	}
	hold := func(r Restriction, what string) Gate {
		until := now.Add(recheck)
		if !r.Expires.IsZero() && r.Expires.Before(until) {
			until = r.Expires
		}
		text := fmt.Sprintf("held: WhatsApp restricts %s from this number (%s)", what, r.Type)
		if !r.Expires.IsZero() {
			text += " until " + r.Expires.UTC().Format(time.RFC3339)
		}
		return Gate{Hold: until, Text: text}
	}
	if r, ok := h.Restricted(RestrictBusinessInitiated, now); ok && template {
		return hold(r, "business-initiated messages (templates)")
	}
	if r, ok := h.Restricted(RestrictCustomerInitiated, now); ok && !template {
		return hold(r, "replies to users")
	}
	if h.Quality == QualityRed && template && category == CategoryMarketing {
		return Gate{Hold: now.Add(recheck),
			Text: "held: the number's quality rating is RED; marketing templates wait until it recovers or their validity ends"}
	}
	return Gate{}
}

// Marketing says what Gate does now with a marketing template from a
// number of health h: "send", "held" or "failed".
func (h SenderHealth) Marketing(now time.Time) string {
	g := h.Gate(CategoryMarketing, true, now, DefaultHealthRecheck)
	switch {
	case g.Fail:
		return "failed"
	case !g.Hold.IsZero():
		return "held"
	}
	return "send"
}

// HealthChange is what a number_quality webhook event reports: a sender's
// health before and after a report of Meta. Stores keep it as JSON (its
// Go field names) in the event's outbox row.
type HealthChange struct {
	Number, WABAID string
	Field, Event   string
	Violation      string
	Before, After  SenderHealth
	At             time.Time
}

// NumberOrderKey is the outbox order of a number's health events.
func NumberOrderKey(number string) string { return "n" + number }
