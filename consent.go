package openwaba

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Consent: a user who opted out of marketing is on the account's
// suppression list, and a marketing template to them is refused at accept
// (CheckConsent). The list fills itself from what users write (keywords,
// the "Stop promotions" button of marketing templates) and from what Meta
// reports (error 131050, the user_preferences webhook); START or an API
// call clears it. Every decision is here; the store writes the answers.

// ConsentReason is what put a user on the list, or took them off it.
type ConsentReason string

const (
	ConsentKeyword        ConsentReason = "keyword"          // the user wrote an opt-out (or opt-in) keyword
	ConsentStopPromotions ConsentReason = "stop_promotions"  // the user tapped a marketing template's "Stop promotions" button
	ConsentMetaError      ConsentReason = "meta_131050"      // Meta refused a marketing message: the user stopped marketing messages
	ConsentPreferences    ConsentReason = "user_preferences" // Meta's user_preferences webhook: stop or resume marketing messages
	ConsentAPI            ConsentReason = "api"              // the customer, through the API or the command line
)

// ValidConsentReason reports whether r is one of the reasons above.
func ValidConsentReason(r ConsentReason) bool {
	switch r {
	case ConsentKeyword, ConsentStopPromotions, ConsentMetaError, ConsentPreferences, ConsentAPI:
		return true
	}
	return false
}

// DefaultOptOutKeywords and DefaultOptInKeywords are an account's
// keywords until it sets its own (Account.OptOutKeywords).
var (
	DefaultOptOutKeywords = []string{"STOP", "STOPP", "UNSUBSCRIBE", "ABMELDEN"}
	DefaultOptInKeywords  = []string{"START"}
)

// StopPromotions is the quick-reply button Meta's marketing templates
// carry for opting out, as its text comes back in a button message.
const StopPromotions = "Stop promotions"

// MetaCodeMarketingStopped is Meta's error for a marketing message to a
// user who stopped marketing messages from the business; openwaba refuses
// such a message at accept with the same code.
const MetaCodeMarketingStopped = 131050

// TextOptedOut is the refusal's text.
const TextOptedOut = "The recipient opted out of marketing messages (suppression list): marketing templates are refused and not charged; utility, authentication and service messages still go."

// ErrOptedOut is the refusal of a marketing template to a suppressed user.
var ErrOptedOut = errors.New("recipient opted out of marketing messages")

// Suppression is one user on an account's suppression list.
type Suppression struct {
	AccountID int64
	// User is the id the entry is kept under: a phone number, BSUID or
	// parent BSUID. A user who opts out is entered under each of their
	// ids the store knows.
	User      string
	Reason    ConsentReason
	Note      string // what triggered it: the keyword written, Meta's error text
	CreatedAt time.Time
}

// ConsentChange is what a message or a report does to a user's consent.
type ConsentChange struct {
	OptOut, OptIn bool // at most one is set; neither: no change
	Reason        ConsentReason
	Note          string
}

// Changes reports whether c changes anything.
func (c ConsentChange) Changes() bool { return c.OptOut || c.OptIn }

// Event is the webhook event a change that took effect makes.
func (c ConsentChange) Event() HookEvent {
	if c.OptIn {
		return HookOptIn
	}
	return HookOptOut
}

// Keyword normalises what a user wrote for comparing with keywords: case
// folded to capitals, punctuation, symbols (emoji) and spaces around it
// dropped, inner runs of space made one ("  stop! " and "Stop." are
// STOP).
func Keyword(s string) string {
	trim := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) }
	return strings.ToUpper(strings.Join(strings.Fields(strings.TrimFunc(s, trim)), " "))
}

// Keywords reads an account's stored keyword list (comma separated); the
// empty list is def.
func Keywords(stored string, def []string) []string {
	var out []string
	for _, k := range strings.Split(stored, ",") {
		if k = Keyword(k); k != "" {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}

// matches reports whether the whole text is one of keywords: a message
// that only contains one ("please don't stop") is no opt-out.
func matches(text string, keywords []string) (string, bool) {
	k := Keyword(text)
	for _, kw := range keywords {
		if k != "" && k == Keyword(kw) {
			return k, true
		}
	}
	return "", false
}

// ConsentOfInbound is what an inbound message does to its user's consent:
// a text, button or interactive reply that is exactly an opt-out keyword
// opts out, one that is an opt-in keyword opts in; the "Stop promotions"
// button of a marketing template opts out.
func ConsentOfInbound(m InboundMessage, optOut, optIn []string) ConsentChange {
	switch m.Type {
	case "text", "button", "interactive":
	default:
		return ConsentChange{}
	}
	if m.Type == "button" && Keyword(m.Text) == Keyword(StopPromotions) {
		return ConsentChange{OptOut: true, Reason: ConsentStopPromotions, Note: m.Text}
	}
	if k, ok := matches(m.Text, optOut); ok {
		return ConsentChange{OptOut: true, Reason: ConsentKeyword, Note: k}
	}
	if k, ok := matches(m.Text, optIn); ok {
		return ConsentChange{OptIn: true, Reason: ConsentKeyword, Note: k}
	}
	return ConsentChange{}
}

// ConsentOfStatus is what a status report does: a failure with Meta's
// 131050 means the user stopped marketing messages from the business.
func ConsentOfStatus(u StatusUpdate) ConsentChange {
	if u.Status == StatusFailed && u.ErrorCode == MetaCodeMarketingStopped {
		return ConsentChange{OptOut: true, Reason: ConsentMetaError, Note: u.ErrorText}
	}
	return ConsentChange{}
}

// ConsentOfPreference is what Meta's user_preferences webhook does: for
// the category marketing_messages, stop opts out and resume opts in.
func ConsentOfPreference(category, value, detail string) ConsentChange {
	if category != "marketing_messages" {
		return ConsentChange{}
	}
	switch value {
	case "stop":
		return ConsentChange{OptOut: true, Reason: ConsentPreferences, Note: detail}
	case "resume":
		return ConsentChange{OptIn: true, Reason: ConsentPreferences, Note: detail}
	}
	return ConsentChange{}
}

// CheckConsent is the rule at accept: a marketing message to a suppressed
// user is refused; every other category goes.
func CheckConsent(category PriceCategory, suppressed bool) error {
	if category == CategoryMarketing && suppressed {
		return ErrOptedOut
	}
	return nil
}

// CancelledByOptOut reports whether a user's opting out cancels m: a
// marketing message that has not reached WhatsApp (queued or scheduled).
// The store cancels those it can (not held by a dispatcher, Cancellable)
// and refunds them.
func (m Message) CancelledByOptOut() bool {
	return m.Category == CategoryMarketing && m.Pending()
}

// ConsentEvent is the data of an opt_out or opt_in webhook event.
type ConsentEvent struct {
	Sender string    `json:"sender"` // our number the change came through ("" from the API)
	User   User      `json:"user"`   // the user, with the ids the store knows
	Reason string    `json:"reason"`
	Note   string    `json:"note"`
	At     time.Time `json:"at"`
	// Cancelled are the queued marketing messages the opt-out cancelled.
	Cancelled []int64 `json:"cancelled"`
}

// ConsentStore keeps the suppression lists.
type ConsentStore interface {
	// Suppressions lists the account's entries, newest first.
	Suppressions(ctx context.Context, accountID int64) ([]Suppression, error)
	// Suppressed finds the entry of the user one of whose ids is user
	// (linked in the WABA of sender when it is given); false when the user
	// is not on the list.
	Suppressed(ctx context.Context, accountID int64, sender, user string) (Suppression, bool, error)
	// SuppressesAnyone reports whether the account has any entry. An
	// account's first entry moves the generation (Store.Generation), so
	// that a gateway may keep a false in memory until it moves.
	SuppressesAnyone(ctx context.Context, accountID int64) (bool, error)
	// ApplyConsent applies c to the user one of whose ids is user, in one
	// transaction: an opt-out enters every id of theirs the store knows
	// and cancels and refunds their pending marketing messages
	// (Message.CancelledByOptOut); an opt-in removes every entry of theirs.
	// When that changed the list it puts an opt_out or opt_in event in the
	// outbox of the account's hooks. It reports whether the list changed.
	ApplyConsent(ctx context.Context, accountID int64, sender, user string, c ConsentChange, at time.Time) (bool, error)
	// SetOptKeywords sets the account's keywords; empty lists are the
	// defaults.
	SetOptKeywords(ctx context.Context, accountID int64, optOut, optIn []string) error
}

// Limits of what a customer may put on the list.
const (
	MaxOptKeywords      = 20
	MaxOptKeywordLength = 50
	MaxSuppressionNote  = 500
)

// CheckOptKeywords checks an account's keywords as the API and the
// command line take them: at most MaxOptKeywords of at most
// MaxOptKeywordLength characters, each with a letter or digit, no comma
// (the store keeps a comma list), and none both an opt-out and an opt-in
// keyword. The error is a *DraftError naming the field.
func CheckOptKeywords(optOut, optIn []string) error {
	seen := map[string]string{}
	for _, l := range []struct {
		field string
		ks    []string
	}{{"opt_out", optOut}, {"opt_in", optIn}} {
		if len(l.ks) > MaxOptKeywords {
			return draftErr(l.field, "must have at most %d keywords, got %d", MaxOptKeywords, len(l.ks))
		}
		for _, k := range l.ks {
			n := Keyword(k)
			switch {
			case n == "":
				return draftErr(l.field, "keyword %q has no letter or digit", k)
			case utf8.RuneCountInString(k) > MaxOptKeywordLength:
				return draftErr(l.field, "keyword %q is longer than %d characters", k, MaxOptKeywordLength)
			case strings.ContainsAny(k, ",\x00"):
				return draftErr(l.field, "keyword %q must not contain a comma or NUL", k)
			}
			if other, ok := seen[n]; ok && other != l.field {
				return draftErr(l.field, "keyword %q is an opt_out and an opt_in keyword", k)
			}
			seen[n] = l.field
		}
	}
	return nil
}

// CheckSuppressionNote checks the note a customer gives an entry.
func CheckSuppressionNote(note string) error {
	switch {
	case utf8.RuneCountInString(note) > MaxSuppressionNote:
		return draftErr("note", "must be at most %d characters", MaxSuppressionNote)
	case strings.ContainsRune(note, 0):
		return draftErr("note", "must not contain U+0000 (NUL)")
	}
	return nil
}
