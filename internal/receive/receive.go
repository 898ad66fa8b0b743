// Package receive applies what WhatsApp reports through Meta's webhooks:
// status reports move messages along, inbound messages are stored and
// open the conversation window, and user_id_update webhooks move a user
// to their new BSUID.
package receive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// Sink implements meta.WebhookSink on top of the store. It stores
// everything before it returns, so the webhook is acknowledged only once
// nothing can be lost; an error makes Meta deliver the webhook again.
type Sink struct {
	Store  openwaba.Store
	Logger *slog.Logger
	Now    func() time.Time
	// Applied, when set, is called after a notification was stored: its
	// statuses and messages may have put webhooks in the outbox.
	Applied func()
	// Received, when set, is called after a notification that carried
	// inbound messages was stored: a media message's download is queued
	// (status reports, most notifications, queue none).
	Received func()
	// Metrics counts the status reports and inbound messages stored (nil:
	// none).
	Metrics Metrics
}

// HandleNotification applies every change of one webhook: statuses and
// inbound messages, reports on the health of numbers, and changes of
// templates, each at once (a template Meta paused is refused from the
// moment its webhook was stored).
func (s *Sink) HandleNotification(ctx context.Context, n meta.Notification) error {
	for _, ch := range n.Changes {
		if err := s.applyChange(ctx, ch); err != nil {
			return err
		}
	}
	for _, r := range n.Health {
		if r.At.IsZero() {
			r.At = s.now()
		}
		changed, err := s.Store.ApplyHealth(ctx, r)
		if err != nil {
			return fmt.Errorf("applying %s %s: %w", r.Field, r.Event, err)
		}
		for _, sd := range changed {
			s.log().Warn("WhatsApp reported on a number's health", "field", r.Field, "event", r.Event, "sender", sd.Number,
				"quality", sd.Health.Quality, "messaging_limit", sd.Health.MessagingLimit, "ban_state", sd.Health.BanState,
				"restrictions", len(sd.Health.Restrictions), "marketing", sd.Health.Marketing(s.now()))
		}
		if len(changed) == 0 {
			s.log().Debug("health report for no number of ours, or changing nothing", "field", r.Field, "event", r.Event, "waba", r.WABAID, "number", r.Number)
		}
	}
	for _, r := range n.Templates {
		if r.At.IsZero() {
			r.At = s.now()
		}
		changed, err := s.Store.ApplyTemplateReport(ctx, r)
		if err != nil {
			return fmt.Errorf("applying %s of template %s: %w", r.Field, r.Name, err)
		}
		for _, t := range changed {
			s.log().Info("WhatsApp changed a template", "field", r.Field, "event", r.Event, "account", t.AccountID,
				"template", t.Name, "language", t.Language, "status", t.Status, "category", t.Category, "quality", t.Quality)
		}
	}
	if s.Applied != nil {
		s.Applied()
	}
	if s.Received != nil && n.HasMessages() {
		s.Received()
	}
	return nil
}

func (s *Sink) applyChange(ctx context.Context, ch meta.Change) error {
	if err := s.applyStatuses(ctx, ch.Statuses); err != nil {
		return err
	}
	if len(ch.Messages) == 0 && len(ch.UserIDChanges) == 0 && len(ch.Preferences) == 0 {
		return nil
	}
	sender, err := s.Store.SenderByPhoneNumberID(ctx, ch.PhoneNumberID)
	if errors.Is(err, openwaba.ErrNotFound) {
		// Not a number of ours: acknowledge, or Meta would retry for a week.
		s.log().Warn("inbound message for an unknown phone number id; dropped", "phone_number_id", ch.PhoneNumberID)
		return nil
	} else if err != nil {
		return fmt.Errorf("looking up phone number id %s: %w", ch.PhoneNumberID, err)
	}
	now := s.now()
	// A changed BSUID first: the messages of the same notification may
	// already name the user by the new one.
	for _, c := range ch.UserIDChanges {
		if !openwaba.IsBSUID(c.Current) || (c.Previous != "" && !openwaba.IsBSUID(c.Previous)) {
			s.log().Warn("user_id_update without a valid BSUID; dropped", "previous", c.Previous, "current", c.Current)
			continue
		}
		if err := s.Store.ChangeUserID(ctx, sender.AccountID, sender.Number, c); err != nil {
			return fmt.Errorf("applying user_id_update %s → %s: %w", c.Previous, c.Current, err)
		}
	}
	for _, p := range ch.Preferences {
		c := openwaba.ConsentOfPreference(p.Category, p.Value, p.Detail)
		if !c.Changes() {
			continue
		}
		at := p.At
		if at.IsZero() {
			at = now
		}
		if _, err := s.Store.ApplyConsent(ctx, sender.AccountID, sender.Number, p.User.Key(), c, at); err != nil {
			return fmt.Errorf("applying user_preferences %s of %s: %w", p.Value, p.User.Key(), err)
		}
	}
	for _, m := range ch.Messages {
		m.AccountID, m.Sender, m.ReceivedAt = sender.AccountID, sender.Number, now
		if m.SentAt.IsZero() {
			m.SentAt = now
		}
		duplicate, err := s.Store.RecordInbound(ctx, m)
		if err != nil {
			return fmt.Errorf("storing inbound message %s: %w", m.WAMID, err)
		}
		if !duplicate {
			s.metrics().Inbound(m.Type)
		}
	}
	return nil
}

// applyStatuses applies a change's status reports in one store write:
// Meta batches a busy number's reports, and a write per report would cost
// its own savepoint or transaction, lock and answer.
func (s *Sink) applyStatuses(ctx context.Context, statuses []openwaba.StatusUpdate) error {
	if len(statuses) == 0 {
		return nil
	}
	us := make([]openwaba.StatusUpdate, len(statuses))
	for i, u := range statuses {
		if u.At.IsZero() {
			u.At = s.now() // Meta's timestamp was unreadable
		}
		u = mapReengagement(u)
		if u.Status == openwaba.StatusPaused && u.ErrorCode == 0 && u.ErrorText == "" {
			u.ErrorText = openwaba.TextPaused // Meta says no more than "paused"
		}
		us[i] = u
	}
	_, err := s.Store.ApplyStatuses(ctx, us)
	if errors.Is(err, openwaba.ErrNotFound) && len(us) > 1 {
		// A report whose message lacks what it needs is skipped, as alone;
		// the batch is all or none, so the others go one by one.
		for _, u := range us {
			if _, err := s.Store.ApplyStatus(ctx, u); err != nil && !errors.Is(err, openwaba.ErrNotFound) {
				return fmt.Errorf("applying status %s of %s: %w", u.Status, u.WAMID, err)
			}
		}
	} else if err != nil && !errors.Is(err, openwaba.ErrNotFound) {
		return fmt.Errorf("applying %d status reports: %w", len(us), err)
	}
	for _, u := range us {
		s.metrics().StatusReport(u.Status)
	}
	return nil
}

// mapReengagement reports Meta's asynchronous 131047 (the 24-hour window
// had closed when WhatsApp tried to deliver) as openwaba.NotInWindow does
// every closed window: one cause, one code.
func mapReengagement(u openwaba.StatusUpdate) openwaba.StatusUpdate {
	if u.Status != openwaba.StatusFailed || u.ErrorCode != openwaba.MetaCodeReengagement {
		return u
	}
	u.ErrorCode, u.ErrorText = openwaba.NotInWindow(u.ErrorCode, u.ErrorText)
	return u
}

func (s *Sink) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Sink) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}
