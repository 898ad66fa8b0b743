package openwaba

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The decisions every store applies, written once. A store asks these
// functions what to do and its SQL only writes the answer (see
// internal/store/sqlstore): the same rule can then not drift between
// engines, and it is tested here as plain Go.

// Follows reports whether a message at status from may move to status to:
// only forward by Rank, never to the same status again.
func (to Status) Follows(from Status) bool { return to.Rank() > from.Rank() }

// ReachedWhatsApp reports whether a message with s in its journal was
// accepted by WhatsApp for delivery: it was sent, delivered, read or
// played. held_for_quality_assessment is not: WhatsApp holds the message
// and may still pause it, unsent and free. What such a message costs is
// what WhatsApp reports (Charge): Meta bills delivered messages only, so
// one that fails after sent is refunded.
func (s Status) ReachedWhatsApp() bool { return slices.Contains(ReachedWhatsAppStatuses(), s) }

// ReachedWhatsAppStatuses are the statuses for which ReachedWhatsApp
// holds, for stores that look for them in a journal.
func ReachedWhatsAppStatuses() []Status { return ReportedAs(StatusSent) }

// ReportedAs lists the statuses whose presence in a message's journal
// shows that the message reached s, for s one of sent, delivered, read
// and played: a message that was read was delivered and sent, even when
// WhatsApp skipped those reports (it may, and their order is not
// guaranteed). failed ranks between sent and delivered but proves nothing
// of them. Analytics count by it.
func ReportedAs(s Status) []Status {
	chain := []Status{StatusSent, StatusDelivered, StatusRead, StatusPlayed}
	i := slices.Index(chain, s)
	if i < 0 {
		return []Status{s}
	}
	return slices.Clone(chain[i:])
}

// Ends reports whether s ends a message before it reached WhatsApp: it
// leaves the dispatch queue for good and its price is refunded.
func (s Status) Ends() bool {
	switch s {
	case StatusFailed, StatusExpired, StatusDeleted:
		return true
	}
	return false
}

// CanFail reports whether the dispatcher may end a queued message with s:
// failed (WhatsApp or the gateway refused it) or expired (its validity ran
// out). deleted is the customer's, through Cancel.
func (s Status) CanFail() bool { return s == StatusFailed || s == StatusExpired }

// Unbilled reports whether a report of s, for a message that was not
// delivered, means Meta bills nothing: it failed, or Meta held it and then
// paused it. The store refunds such a message (Charge).
func (s Status) Unbilled() bool { return s == StatusFailed || s == StatusPaused }

// Cancellable reports whether a customer may still cancel a message: it is
// in the dispatch queue and no dispatcher holds it (its lease, if it ever
// had one, ended before now). A message out of the queue was submitted or
// has ended.
func Cancellable(inQueue bool, leaseUntil, now time.Time) bool {
	return inQueue && !leaseUntil.After(now)
}

// CanDebit is the balance rule of Accept: a request that costs something
// needs that much on the balance; a free one passes even on a negative
// balance (an operator's correction must not stop service messages).
func CanDebit(balance, total Micros) bool { return total <= 0 || balance >= total }

// MaxBalance bounds an account's balance either way: a thousand times the
// largest amount an operator may book at once (MaxAmount), far below where
// Micros overflow.
const MaxBalance = 1000 * MaxAmount

// Credited is balance after amount is booked on it, or ErrBalanceLimit
// when that would pass MaxBalance either way (and then nothing is booked).
func Credited(balance, amount Micros) (Micros, error) {
	if amount > MaxAmount || amount < -MaxAmount {
		return balance, fmt.Errorf("%w: %s is more than %s at once", ErrBalanceLimit, amount, MaxAmount)
	}
	b := balance + amount
	if b > MaxBalance || b < -MaxBalance {
		return balance, fmt.Errorf("%w: the balance would be %s", ErrBalanceLimit, b)
	}
	return b, nil
}

// ErrBalanceLimit is Credited's refusal.
var ErrBalanceLimit = errors.New("beyond the balance limit")

// EarlyStatusKeep is how long a status report for an unknown wamid waits
// for its message. Meta may report a status before the dispatcher has
// stored the wamid its send call returned; a report for a wamid that is
// still unknown after a day is not ours.
const EarlyStatusKeep = 24 * time.Hour

// NewMessage is a message as Accept stores it: for the account, with an
// ID and the fields of a fresh message (no WAMID, attempts, refund or
// settlement; Charge is Price, ListPrice at least Price).
// CreatedAt defaults to now and ScheduledAt to CreatedAt; Status is queued,
// or scheduled when ScheduledAt is after CreatedAt, unless the caller set
// one; StatusAt is CreatedAt. Times are truncated to milliseconds, as
// stores keep them.
func NewMessage(m Message, accountID int64, now time.Time) (Message, error) {
	if m.Price < 0 {
		return m, fmt.Errorf("negative price %d", m.Price)
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if m.ScheduledAt.IsZero() {
		m.ScheduledAt = m.CreatedAt
	}
	m.CreatedAt, m.ScheduledAt, m.ExpiresAt = TruncateMS(m.CreatedAt), TruncateMS(m.ScheduledAt), TruncateMS(m.ExpiresAt)
	m.TTL = m.TTL.Truncate(time.Millisecond)
	if m.Status == "" {
		m.Status = StatusQueued
		if m.ScheduledAt.After(m.CreatedAt) {
			m.Status = StatusScheduled
		}
	}
	if !m.Status.Valid() {
		return m, fmt.Errorf("invalid status %q", m.Status)
	}
	m.ID, m.AccountID = 0, accountID
	m.StatusAt = m.CreatedAt
	m.WAMID, m.Attempts, m.Refunded = "", 0, false
	if m.ListPrice < m.Price {
		m.ListPrice = m.Price // a caller that knows no list price
	}
	m.Charge, m.Settled, m.Pricing = m.Price, false, nil
	return m, nil
}

// TruncateMS is t as stores keep it: UTC, to the millisecond; the zero
// time stays zero.
func TruncateMS(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// Wants reports whether hook h receives an event of type e about a message
// of sender number sender: its event type covers e, and its filter, if it
// has one, names that sender.
func (h Hook) Wants(e HookEvent, sender string) bool {
	return h.EventType.Covers(e) && (h.EventFilter == "" || h.EventFilter == sender)
}

// WantsAny is Wants for an event about several sender numbers (a template
// of their WhatsApp Business Account): a filtered hook wants it when its
// filter names one of them.
func (h Hook) WantsAny(e HookEvent, senders []string) bool {
	return h.EventType.Covers(e) && (h.EventFilter == "" || slices.Contains(senders, h.EventFilter))
}

// NotInWindow is how the gateway reports that WhatsApp's 24-hour window
// was closed, whether the gateway found it closed (metaCode 0) or Meta
// answered 131047 at send time or in a failed status: seven's 7002001 with
// seven's text, Meta's own code and text kept in brackets. One cause, one
// code.
func NotInWindow(metaCode int, metaText string) (int, string) {
	if metaCode == 0 {
		return CodeNotInWindow, TextNotInWindow
	}
	meta := fmt.Sprintf("WhatsApp #%d", metaCode)
	if metaText != "" {
		meta += ": " + metaText
	}
	return CodeNotInWindow, TextNotInWindow + " (" + meta + ")"
}

// StoredText is s as every store keeps it: U+0000, which PostgreSQL cannot
// hold in a text, becomes U+FFFD (the replacement character) on every
// engine alike. Customers cannot send U+0000 (the API refuses it); texts
// from Meta are kept with the replacement, so that no inbound message is
// ever refused.
func StoredText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
