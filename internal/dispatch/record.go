package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/openwaba/openwaba"
)

// A record that fails is tried again after 100 ms, then after twice as
// long each time, up to 30 s between attempts.
const (
	recordBackoffBase = 100 * time.Millisecond
	recordBackoffMax  = 30 * time.Second
)

// outcome is the store call that settles a claimed message.
type outcome struct {
	write func(ctx context.Context) error
	// until, when set, is the last moment a failed write may be tried
	// again; zero: until it lands (see retry for why).
	until time.Time
	// lost says, for the log, what becomes of the message when the write
	// is given up; attrs identify what was lost (the wamid).
	lost  string
	attrs []any
}

// submitted records that WhatsApp took m as sub.WAMID. Until this lands
// the wamid lives only here, and the message, once its lease ran out,
// would be sent again: so it is tried until it lands, and m's lease is
// renewed meanwhile (it stays held). A repeat after an attempt that did
// land without our knowing (the answer was lost) writes the same wamid
// again. When WhatsApp answered that it holds the message (or paused it),
// that status is applied as its report would be, before the wamid is
// stored: the store keeps it aside with the reports that may have come
// already, and MarkSubmitted applies them all, in order. A repeat
// journals nothing twice.
func (d *Dispatcher) submitted(m openwaba.Message, sub openwaba.Submission) outcome {
	at := d.now()
	return outcome{
		write: func(ctx context.Context) error {
			if sub.Status != "" {
				u := openwaba.StatusUpdate{WAMID: sub.WAMID, Status: sub.Status, At: at, Recipient: m.Recipient}
				if sub.Status == openwaba.StatusPaused {
					u.ErrorText = openwaba.TextPaused
				}
				if _, err := d.cfg.Store.ApplyStatus(ctx, u); err != nil {
					return err
				}
			}
			return d.cfg.Store.MarkSubmitted(ctx, m.ID, sub.WAMID, at)
		},
		lost:  "could not record that WhatsApp took the message: it will be sent again when its lease ends",
		attrs: []any{"wamid", sub.WAMID, "message_status", sub.Status},
	}
}

// fail ends m as failed or expired. It is tried until it lands like
// submitted, although giving it up would send nothing twice (WhatsApp did
// not take the message): the message would only be tried again after its
// lease. A repeat after an attempt that landed unseen is ErrConflict.
func (d *Dispatcher) fail(m openwaba.Message, status openwaba.Status, code int, text string, at time.Time) outcome {
	return outcome{
		write: func(ctx context.Context) error { return d.cfg.Store.Fail(ctx, m.ID, status, code, text, at) },
		lost:  "could not record that the message " + string(status) + ": it will be tried again when its lease ends",
	}
}

// retry puts m back in the queue, due at next. This one is repeated only
// until next. Had an earlier attempt landed without our knowing (the
// commit went through, the answer was lost), m is back in the queue,
// unleased and due at next: from then on another claimer may hold it, and
// a late repeat would clear that claimer's lease, so that a third one could
// claim m and send it alongside. Before next nobody can claim it and a
// repeat changes nothing. Giving up is safe: m was not sent (or the send
// failed), so m going out when our lease runs out is the retry it was
// getting anyway, only up to one lease later. (This reads next on this
// node's clock; the leases assume already that the nodes' clocks agree.)
func (d *Dispatcher) retry(m openwaba.Message, next time.Time, code int, text string) outcome {
	return outcome{
		write: func(ctx context.Context) error { return d.cfg.Store.Retry(ctx, m.ID, next, code, text) },
		until: next,
		lost:  "could not put the message back in the queue: it will be tried again when its lease ends",
	}
}

// record writes o, with backoff, until it lands. Until then the message
// stays held and its lease renewed, and the worker stays with it: while
// the database is down the workers fill up with unrecorded outcomes and
// nothing more is sent. Once stop is closed (the dispatcher is stopping)
// it tries for RecordGrace more, then logs what it could not record.
func (d *Dispatcher) record(ctx context.Context, stop <-chan struct{}, log *slog.Logger, o outcome) {
	log = log.With(o.attrs...)
	delay := recordBackoffBase
	var giveUpAt time.Time // once stopped
	for attempt := 1; ; attempt++ {
		err := o.write(ctx)
		switch {
		case err == nil:
			if attempt > 1 {
				log.Info("dispatch outcome recorded after failed attempts", "attempts", attempt)
			}
			return
		case errors.Is(err, openwaba.ErrNotFound), errors.Is(err, openwaba.ErrConflict):
			// The message is gone or no longer queued: nothing to repeat.
			if attempt > 1 {
				log.Info("dispatch outcome already recorded: an earlier attempt landed, or the message was settled elsewhere", "attempts", attempt, "err", err)
			} else {
				log.Error("recording dispatch outcome: the message is no longer ours", "err", err)
			}
			return
		}
		if !o.until.IsZero() && !d.now().Add(delay).Before(o.until) {
			log.Warn(o.lost, "attempts", attempt, "err", err)
			return
		}
		if giveUpAt.IsZero() && closed(stop) {
			giveUpAt = time.Now().Add(d.cfg.RecordGrace)
		}
		wait, wake := delay, stop
		if !giveUpAt.IsZero() {
			if wait = min(wait, time.Until(giveUpAt)); wait <= 0 {
				log.Error("dispatcher stopped; "+o.lost, "attempts", attempt, "err", err)
				return
			}
			wake = nil
		}
		if attempt == 1 {
			log.Warn("recording dispatch outcome failed; trying again", "err", err)
		}
		sleep(wait, wake)
		delay = min(2*delay, recordBackoffMax)
	}
}

// closed reports whether c is closed; a nil c never is.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// sleep waits for d, or until wake is closed.
func sleep(d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	}
}
