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
// ends in exactly one store call that settles the claim, tried until it
// lands (record). ctx ends when the dispatcher is stopped: a message still
// waiting for its pace then goes back to the queue unsent, but a send that
// has begun is neither cut short nor left unrecorded because of it.
func (d *Dispatcher) process(ctx context.Context, m openwaba.Message) {
	defer d.held.done(m.ID)
	// The sender's slot, once settle takes one, is held until the outcome
	// is recorded: a database that is slow to record slows the sends.
	var s *slot
	defer func() {
		if s != nil {
			s.release()
			d.metrics().InFlight(-1)
		}
	}()
	log := d.log.With("id", m.ID, "sender", m.Sender)
	o, err := d.settle(ctx, m, &s)
	if err != nil {
		// Nothing was sent. The claim's lease runs out and the message is
		// tried again: a store hiccup must not lose it.
		log.Error("preparing the send; the message will be retried after its lease", "err", err)
		return
	}
	d.record(context.WithoutCancel(ctx), ctx.Done(), log, o)
}

// settle decides what becomes of m, sending it if it may go out; a send
// takes a slot of its sender's lane into *s, for the caller to release.
func (d *Dispatcher) settle(ctx context.Context, m openwaba.Message, s **slot) (outcome, error) {
	stop := ctx
	ctx = context.WithoutCancel(ctx)
	now := d.now()
	if !now.Before(m.ExpiresAt) {
		return d.fail(m, openwaba.StatusExpired, 0, textExpired, now), nil
	}
	if until, ok := d.paused.Load(m.Sender); ok && now.Before(until.(time.Time)) {
		return d.retry(m, until.(time.Time), m.ErrorCode, m.ErrorText), nil
	}
	sender, err := d.cfg.Reads.Sender(ctx, m.AccountID, m.Sender)
	if errors.Is(err, openwaba.ErrNotFound) {
		return d.fail(m, openwaba.StatusFailed, openwaba.CodeBadRequest, openwaba.TextInvalidSender+": the number was removed", now), nil
	} else if err != nil {
		return outcome{}, err
	}
	template := m.Content.Type == openwaba.TypeTemplate
	g := sender.Health.Gate(m.Category, template, now, d.cfg.HealthRecheck)
	if g == (openwaba.Gate{}) && template && m.Content.Template != nil {
		// The template may have been paused or disabled since the accept.
		// One the store no longer has (deleted at Meta) is Meta's to refuse.
		t, err := d.cfg.Reads.Template(ctx, m.AccountID, m.Content.Template.Name, m.Content.Template.Language)
		if err == nil {
			g = t.Gate(now, d.cfg.HealthRecheck)
		} else if !errors.Is(err, openwaba.ErrNotFound) {
			return outcome{}, err
		}
	}
	switch {
	case g.Fail:
		d.log.Warn("the number's health or the template's status stops the message", "id", m.ID, "sender", m.Sender, "reason", g.Text)
		return d.fail(m, openwaba.StatusFailed, g.Code, g.Text, now), nil
	case !g.Hold.IsZero() && !g.Hold.Before(m.ExpiresAt):
		return d.fail(m, openwaba.StatusExpired, 0, textExpired+": "+g.Text, now), nil
	case !g.Hold.IsZero():
		d.log.Info("the number's health or the template's status holds the message back", "id", m.ID, "sender", m.Sender, "until", g.Hold, "reason", g.Text)
		return d.retry(m, g.Hold, g.Code, g.Text), nil
	}
	if !template {
		until, err := d.cfg.Store.WindowOpenUntil(ctx, m.Sender, m.Recipient)
		if err != nil {
			return outcome{}, err
		}
		if !now.Before(until) {
			code, text := openwaba.NotInWindow(0, "")
			return d.fail(m, openwaba.StatusFailed, code, text, now), nil
		}
	}
	mps := sender.MPS
	if mps <= 0 {
		mps = d.cfg.DefaultMPS
	}
	if *s, err = d.lanes.acquire(stop, sender.Number, mps); err != nil {
		// Stopped while waiting for a slot: not sent, so give it back
		// like the claimed messages no worker took.
		return d.retry(m, d.now(), m.ErrorCode, m.ErrorText), nil
	}
	d.metrics().InFlight(1)
	paceStart := time.Now()
	err = d.pacer.wait(stop, sender.Number, mps)
	(*s).paced = time.Since(paceStart)
	if err != nil {
		// Stopped while waiting for the pace: the same.
		return d.retry(m, d.now(), m.ErrorCode, m.ErrorText), nil
	}
	// Pacing may have taken a while; never send what has expired meanwhile.
	if now = d.now(); !now.Before(m.ExpiresAt) {
		return d.fail(m, openwaba.StatusExpired, 0, textExpired, now), nil
	}
	m, err = d.withMedia(ctx, sender, m)
	if err != nil {
		return d.handleSendError(m, err), nil
	}
	sub, err := d.cfg.Upstream.Send(ctx, sender, m)
	if retry, ok := d.uploadInstead(ctx, sender, m, err); ok {
		m, err = retry, nil
		sub, err = d.cfg.Upstream.Send(ctx, sender, m)
	}
	d.metrics().Sent(sendOutcome(err))
	if err == nil {
		return d.submitted(m, sub), nil
	}
	return d.handleSendError(m, err), nil
}

func (d *Dispatcher) handleSendError(m openwaba.Message, err error) outcome {
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
		return d.retry(m, until, ue.Code, ue.Error())
	case ue.Code == openwaba.MetaCodeReengagement:
		code, text := openwaba.NotInWindow(ue.Code, ue.Title)
		return d.fail(m, openwaba.StatusFailed, code, text, now)
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
			return d.fail(m, openwaba.StatusExpired, ue.Code, textExpired+": "+ue.Error(), now)
		case m.Attempts >= d.cfg.Backoff.MaxAttempts:
			log.Warn("giving up after too many attempts", "attempts", m.Attempts, "err", ue)
			return d.fail(m, openwaba.StatusFailed, ue.Code, ue.Error(), now)
		}
		log.Info("temporary upstream error; retrying", "attempts", m.Attempts, "in", delay, "err", ue)
		return d.retry(m, next, ue.Code, ue.Error())
	default:
		log.Info("WhatsApp refused the message", "err", ue)
		return d.fail(m, openwaba.StatusFailed, ue.Code, ue.Error(), now)
	}
}
