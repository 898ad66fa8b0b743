package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/openwaba/openwaba"
)

// pairInterval is WhatsApp's pace for one (business, user) pair.
const pairInterval = 6 * time.Second

const textExpired = "validity (ttl) ran out before the message could be handed to WhatsApp"

// process sends one claimed message and records the outcome. Every path
// ends in exactly one store call that settles the claim.
func (d *Dispatcher) process(ctx context.Context, m openwaba.Message) {
	log := d.log.With("id", m.ID, "sender", m.Sender)
	if err := d.settle(ctx, m); err != nil {
		// The claim's lease runs out and the message is tried again: a
		// store hiccup must not lose it.
		log.Error("recording dispatch outcome; the message will be retried after its lease", "err", err)
	}
}

func (d *Dispatcher) settle(ctx context.Context, m openwaba.Message) error {
	now := d.now()
	if !now.Before(m.ExpiresAt) {
		return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusExpired, 0, textExpired, now)
	}
	if until, ok := d.paused.Load(m.Sender); ok && now.Before(until.(time.Time)) {
		return d.cfg.Store.Retry(ctx, m.ID, until.(time.Time), m.ErrorCode, m.ErrorText)
	}
	sender, err := d.cfg.Store.Sender(ctx, m.AccountID, m.Sender)
	if errors.Is(err, openwaba.ErrNotFound) {
		return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusFailed, openwaba.CodeBadRequest, openwaba.TextInvalidSender+": the number was removed", now)
	} else if err != nil {
		return err
	}
	if m.Content.Type != openwaba.TypeTemplate {
		until, err := d.cfg.Store.WindowOpenUntil(ctx, m.Sender, m.Recipient)
		if err != nil {
			return err
		}
		if !now.Before(until) {
			return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusFailed, openwaba.CodeNotInWindow, openwaba.TextNotInWindow, now)
		}
	}
	if err := d.pacer.wait(ctx, sender.Number, sender.MPS); err != nil {
		return err
	}
	// Pacing may have taken a while; never send what has expired meanwhile.
	if now = d.now(); !now.Before(m.ExpiresAt) {
		return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusExpired, 0, textExpired, now)
	}
	wamid, err := d.cfg.Upstream.Send(ctx, sender, m)
	if err == nil {
		return d.cfg.Store.MarkSubmitted(ctx, m.ID, wamid, d.now())
	}
	return d.handleSendError(ctx, m, err)
}

func (d *Dispatcher) handleSendError(ctx context.Context, m openwaba.Message, err error) error {
	now := d.now()
	ue, ok := openwaba.AsUpstreamError(err)
	if !ok {
		// Not classified: assume the network and try again.
		ue = &openwaba.UpstreamError{Title: err.Error(), Retryable: true}
	}
	log := d.log.With("id", m.ID, "sender", m.Sender, "code", ue.Code)
	switch {
	case ue.SenderBlocked:
		until := now.Add(d.cfg.SenderPause)
		d.paused.Store(m.Sender, until)
		log.Error("WhatsApp refused the sender's access token: the sender is paused, its messages wait; fix the token", "err", ue, "until", until)
		return d.cfg.Store.Retry(ctx, m.ID, until, ue.Code, ue.Error())
	case ue.Code == openwaba.MetaCodeReengagement:
		return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusFailed, openwaba.CodeNotInWindow, openwaba.TextNotInWindow, now)
	case ue.Retryable:
		delay := max(d.cfg.Backoff.Delay(m.Attempts), ue.RetryAfter)
		if ue.PerRecipient {
			// The pair limit concerns this recipient only: reschedule this
			// message past WhatsApp's window of about one message per 6 s,
			// while the workers go on with other recipients.
			delay = max(delay, pairInterval)
		}
		next := now.Add(delay)
		switch {
		case !next.Before(m.ExpiresAt):
			log.Warn("giving up: validity ends before the next attempt", "err", ue)
			return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusExpired, ue.Code, textExpired+": "+ue.Error(), now)
		case m.Attempts >= d.cfg.Backoff.MaxAttempts:
			log.Warn("giving up after too many attempts", "attempts", m.Attempts, "err", ue)
			return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusFailed, ue.Code, ue.Error(), now)
		}
		log.Info("temporary upstream error; retrying", "attempts", m.Attempts, "in", delay, "err", ue)
		return d.cfg.Store.Retry(ctx, m.ID, next, ue.Code, ue.Error())
	default:
		log.Info("WhatsApp refused the message", "err", ue)
		return d.cfg.Store.Fail(ctx, m.ID, openwaba.StatusFailed, ue.Code, ue.Error(), now)
	}
}
