package dispatch_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openwaba/openwaba"
)

// TestScheduledDueTime: a scheduled message is not handed to WhatsApp
// before its due time and is taken within one second after it.
func TestScheduledDueTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		delay time.Duration // from acceptance to due time
	}{
		{"due now", 0},
		{"in 1.5 s", 1500 * time.Millisecond},
		{"in 90 s", 90 * time.Second},
		{"in 10 minutes and 250 ms", 10*time.Minute + 250*time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGraph(t)
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, g, 0)
				e.start()
				due := time.Now().Add(tc.delay)
				m := e.accept(template(1, due, openwaba.DefaultTTL))[0]

				if tc.delay > 0 {
					// Just before the due time: nothing has gone out.
					time.Sleep(tc.delay - time.Millisecond)
					synctest.Wait()
					if got := e.message(m.ID); got.Status != openwaba.StatusScheduled || got.WAMID != "" || len(e.up.records()) != 0 {
						t.Fatalf("1 ms before due: status %s, wamid %q, %d sends; want still scheduled", got.Status, got.WAMID, len(e.up.records()))
					}
				}
				got := e.waitSettled(m.ID)[0]
				if got.WAMID == "" {
					t.Fatalf("message ended %s (%s), want sent", got.Status, got.ErrorText)
				}
				taken := e.takenAt(m.ID)
				sends := e.up.records()
				if len(sends) != 1 || g.accepted() < 1 {
					t.Fatalf("%d sends, want 1", len(sends))
				}
				if sends[0].at.Before(due) || taken.Before(due.Truncate(time.Millisecond)) {
					t.Errorf("sent at %v, taken at %v: before its due time %v", sends[0].at, taken, due)
				}
				if lag := sends[0].at.Sub(due); lag > time.Second {
					t.Errorf("sent %v after its due time, want within 1 s", lag)
				}
			})
		})
	}
}

// TestExpiry: a message not handed to WhatsApp within its validity ends as
// expired and is refunded; neither retries nor pacing ever send it late.
func TestExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, g *graph) (msgs []openwaba.Message, e *env)
		// wantSent: whether some messages must go out (before expiring).
		wantSent bool
	}{
		{
			// The dispatcher is down from before the due time until after
			// the validity ran out: nothing is sent at the start.
			name: "down past validity",
			run: func(t *testing.T, g *graph) ([]openwaba.Message, *env) {
				e := newEnv(t, g, 0)
				due := time.Now().Add(time.Minute)
				msgs := e.accept(template(1, due, time.Minute), template(2, due, 10*time.Minute))
				time.Sleep(11 * time.Minute)
				e.start()
				return msgs, e
			},
		},
		{
			// WhatsApp answers 503 every time; backoff would take the next
			// attempt past the validity, so the message expires instead.
			name: "retries outlast validity",
			run: func(t *testing.T, g *graph) ([]openwaba.Message, *env) {
				g.sb.InjectError(133004, 1000)
				e := newEnv(t, g, 0)
				e.cfg.Backoff.Base = 5 * time.Second
				e.start()
				return e.accept(template(1, time.Now(), time.Minute)), e
			},
		},
		{
			// One message per second for the sender and 20 messages valid
			// for 10 s: pacing holds the later ones past it.
			name: "pacing outlasts validity",
			run: func(t *testing.T, g *graph) ([]openwaba.Message, *env) {
				e := newEnv(t, g, 1)
				e.start()
				now := time.Now()
				var msgs []openwaba.Message
				for i := range 20 {
					msgs = append(msgs, template(i, now, 10*time.Second))
				}
				return e.accept(msgs...), e
			},
			wantSent: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGraph(t)
			synctest.Test(t, func(t *testing.T) {
				msgs, e := tc.run(t, g)
				got := e.waitSettled(ids(msgs)...)
				refunds := e.refunds()
				expiresAt := map[int64]time.Time{}
				for _, m := range msgs {
					expiresAt[m.ID] = m.ExpiresAt
				}
				sent, expired := 0, 0
				for _, m := range got {
					switch {
					case m.WAMID != "":
						sent++
						if refunds[m.ID] != 0 {
							t.Errorf("message %d was sent and refunded", m.ID)
						}
					case m.Status == openwaba.StatusExpired:
						expired++
						if refunds[m.ID] != 1 || !m.Refunded {
							t.Errorf("expired message %d: %d refunds, want 1", m.ID, refunds[m.ID])
						}
					default:
						t.Errorf("message %d ended %s (%d %s), want sent or expired", m.ID, m.Status, m.ErrorCode, m.ErrorText)
					}
				}
				for _, s := range e.up.records() {
					if !s.at.Before(expiresAt[s.msg.ID]) {
						t.Errorf("message %d handed to WhatsApp at %v, its validity ended at %v", s.msg.ID, s.at, expiresAt[s.msg.ID])
					}
				}
				if expired == 0 {
					t.Error("no message expired")
				}
				if tc.wantSent != (sent > 0) {
					t.Errorf("%d sent, %d expired", sent, expired)
				}
				if want := startBalance - openwaba.Micros(sent)*price; e.balance() != want {
					t.Errorf("balance %v, want %v (only sent messages paid)", e.balance(), want)
				}
			})
		})
	}
}

// TestDeleteRacesDispatch cancels scheduled messages at the very instant
// they fall due, while the dispatcher takes them. Each message is either
// sent and paid, or cancelled and refunded once: never both, never neither.
func TestDeleteRacesDispatch(t *testing.T) {
	t.Parallel()
	g := newGraph(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, g, 1000)
		e.cfg.Batch = 4 // claims in small bites, interleaved with the deletes
		e.start()
		due := time.Now().Add(time.Minute)
		var batch []openwaba.Message
		for i := range 200 {
			batch = append(batch, template(i, due, openwaba.DefaultTTL))
		}
		msgs := e.accept(batch...)

		time.Sleep(time.Until(due))
		cancelled := make([]bool, len(msgs))
		var wg sync.WaitGroup
		for i, m := range msgs {
			wg.Go(func() {
				_, err := e.store.Cancel(t.Context(), e.account.ID, m.ID, time.Now())
				switch {
				case err == nil:
					cancelled[i] = true
				case !isAlreadySent(err):
					t.Errorf("Cancel %d: %v", m.ID, err)
				}
			})
		}
		wg.Wait()

		// Settle what the dispatcher took; cancelled ones are already ended.
		got := e.waitSettledOrDeleted(ids(msgs)...)
		refunds := e.refunds()
		sentIDs := map[int64]bool{}
		for _, s := range e.up.records() {
			if s.ok {
				sentIDs[s.msg.ID] = true
			}
		}
		nCancelled, nSent := 0, 0
		for i, m := range got {
			switch {
			case cancelled[i]:
				nCancelled++
				if m.Status != openwaba.StatusDeleted || refunds[m.ID] != 1 || sentIDs[m.ID] || m.WAMID != "" {
					t.Errorf("cancelled message %d: status %s, %d refunds, sent %v; want deleted, refunded once, never sent",
						m.ID, m.Status, refunds[m.ID], sentIDs[m.ID])
				}
			default:
				nSent++
				if m.WAMID == "" || !sentIDs[m.ID] || refunds[m.ID] != 0 {
					t.Errorf("message %d whose delete was refused: status %s, wamid %q, %d refunds; want sent, not refunded",
						m.ID, m.Status, m.WAMID, refunds[m.ID])
				}
			}
		}
		if want := startBalance - openwaba.Micros(nSent)*price; e.balance() != want {
			t.Errorf("balance %v, want %v", e.balance(), want)
		}
		t.Logf("%d cancelled, %d sent", nCancelled, nSent)
	})
}

// waitSettledOrDeleted is waitSettled that also takes deleted as the end.
func (e *env) waitSettledOrDeleted(ids ...int64) []openwaba.Message {
	e.t.Helper()
	return e.waitUntil(func(m openwaba.Message) bool {
		return settled(m) || m.Status == openwaba.StatusDeleted
	}, ids...)
}

// TestRestartCatchUp: messages that fell due while the gateway was down
// are sent right after it starts, or expired if their validity ran out;
// messages still in the future wait for their time.
func TestRestartCatchUp(t *testing.T) {
	t.Parallel()
	g := newGraph(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, g, 0)
		e.start()
		t0 := time.Now()
		due := t0.Add(time.Minute)
		var batch []openwaba.Message
		for i := range 20 {
			batch = append(batch, template(i, due, time.Hour)) // still valid at restart
		}
		for i := 20; i < 30; i++ {
			batch = append(batch, template(i, due, 5*time.Minute)) // expired at restart
		}
		later := t0.Add(40 * time.Minute)
		batch = append(batch, template(30, later, time.Hour)) // not due yet at restart
		msgs := e.accept(batch...)

		time.Sleep(30 * time.Second)
		e.shutdown() // down before anything fell due
		time.Sleep(30 * time.Minute)
		restart := time.Now()
		e.open()
		e.start()

		got := e.waitSettled(ids(msgs[:30])...)
		for i, m := range got {
			switch {
			case i < 20:
				if m.WAMID == "" {
					t.Errorf("message %d (valid) ended %s, want sent", m.ID, m.Status)
				} else if taken := e.takenAt(m.ID); taken.Sub(restart) > time.Second {
					t.Errorf("message %d sent %v after the restart, want within 1 s", m.ID, taken.Sub(restart))
				}
			default:
				if m.Status != openwaba.StatusExpired || !m.Refunded || m.WAMID != "" {
					t.Errorf("message %d (validity over) ended %s, refunded %v, wamid %q; want expired and refunded", m.ID, m.Status, m.Refunded, m.WAMID)
				}
			}
		}
		if m := e.message(msgs[30].ID); m.Status != openwaba.StatusScheduled {
			t.Errorf("future message is %s after the restart, want scheduled", m.Status)
		}
		time.Sleep(time.Until(later))
		m := e.waitSettled(msgs[30].ID)[0]
		if taken := e.takenAt(m.ID); m.WAMID == "" || taken.Before(later) || taken.Sub(later) > time.Second {
			t.Errorf("future message: wamid %q taken at %v, want sent within 1 s after %v", m.WAMID, taken, later)
		}
	})
}
