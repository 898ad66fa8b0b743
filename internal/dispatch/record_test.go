package dispatch_test

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openwaba/openwaba"
)

// TestUnrecordedOutcomes: when the store cannot record what became of a
// send (a full disk, the database away), the dispatcher keeps the outcome
// and tries again until it lands, and renews the message's lease meanwhile:
// a message WhatsApp took is not sent again, and every one ends with the
// wamid of its one send.
func TestUnrecordedOutcomes(t *testing.T) {
	t.Parallel()
	// refused: every third message WhatsApp refuses for good, and the one
	// after it WhatsApp answers 503 the first time.
	refused := func(i int) bool { return i%3 == 2 }
	refuse := func(msgs []openwaba.Message) func(m openwaba.Message, n int) error {
		index := map[int64]int{}
		for i, m := range msgs {
			index[m.ID] = i
		}
		return func(m openwaba.Message, n int) error {
			switch i := index[m.ID]; {
			case refused(i):
				return &openwaba.UpstreamError{Code: 131026, Title: "Message undeliverable"}
			case i%3 == 0 && n == 1:
				return &openwaba.UpstreamError{Code: 131000, Title: "Something went wrong", Retryable: true}
			}
			return nil
		}
	}
	tests := []struct {
		name   string
		total  int
		delay  time.Duration
		faults func(start time.Time) faults
		refuse bool
		// wantLog is logged when the case does what it is there for.
		wantLog string
	}{
		{"11 records fail", 50, time.Second, func(time.Time) faults { return faults{marks: 11} }, false, "recorded after failed attempts"},
		{"11 records land, their answers are lost", 50, time.Second, func(time.Time) faults { return faults{lostMarks: 11} }, false, "recorded after failed attempts"},
		// The first 32 wait for their records, the other 18 for a worker,
		// all for longer than a lease.
		{"records fail for longer than a lease", 50, 20 * time.Second, func(start time.Time) faults {
			return faults{downFrom: start, downUntil: start.Add(4 * time.Minute)}
		}, false, "recorded after failed attempts"},
		{"records fail for longer than a lease, and renewals too", 50, 20 * time.Second, func(start time.Time) faults {
			return faults{downFrom: start, downUntil: start.Add(3 * time.Minute), renewals: 3}
		}, false, "renewing the leases"},
		// The database is away for longer than a lease: the leases run out
		// and the node's own claim takes the messages it is still working
		// on again when the database is back; it does not send them twice.
		{"every write fails for longer than a lease", 32, 20 * time.Second, func(start time.Time) faults {
			return faults{downFrom: start.Add(10 * time.Second), downUntil: start.Add(4 * time.Minute), allDown: true}
		}, false, "claimed a message again"},
		{"retry and fail records fail", 50, time.Second, func(time.Time) faults {
			return faults{retries: 5, lostRetries: 3, fails: 5}
		}, true, "recorded after failed attempts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, nil, 0)
				up := &fakeUpstream{delay: tc.delay}
				e.up.Upstream = up
				start := time.Now()
				fs := &faultyStore{Store: e.store, f: tc.faults(start)}
				logs := &syncBuffer{}
				e.cfg.Store, e.cfg.Logger = fs, slog.New(slog.NewTextHandler(logs, nil))
				batch := make([]openwaba.Message, tc.total)
				for i := range batch {
					batch[i] = template(i, start, openwaba.DefaultTTL)
				}
				msgs := e.accept(batch...)
				want := func(int) bool { return true }
				if tc.refuse {
					up.refuse = refuse(msgs)
					want = func(i int) bool { return !refused(i) }
				}
				e.start()
				time.Sleep(15 * time.Minute)
				e.halt()

				checkSentOnce(t, e, msgs, want)
				if tc.refuse {
					// A refusal that could not be recorded would have the
					// message tried again after its lease.
					for i, m := range msgs {
						got := e.message(m.ID)
						if n := up.count(m.ID); refused(i) && (n != 1 || got.Status != openwaba.StatusFailed || !got.Refunded) {
							t.Errorf("refused message %d: %d sends, %s, refunded %v; want one send, failed and refunded", m.ID, n, got.Status, got.Refunded)
						}
					}
				}
				if left := fs.left(); left.marks+left.lostMarks+left.retries+left.lostRetries+left.fails+left.renewals > 0 {
					t.Errorf("faults not used up: %+v", left)
				}
				if !logged(logs.String(), tc.wantLog) {
					t.Errorf("nothing logged about %q:\n%s", tc.wantLog, logs)
				}
			})
		})
	}
}

// TestStopWaitsForRecords: a dispatcher that is stopped lets a send in
// flight finish and tries to record it for RecordGrace more; only then Run
// returns, and what could not be recorded is logged with its wamid.
// Messages still waiting for their pace go back to the queue unsent.
func TestStopWaitsForRecords(t *testing.T) {
	t.Parallel()
	const grace = 15 * time.Second
	tests := []struct {
		name string
		// The store refuses MarkSubmitted until this long after the stop.
		downAfterStop time.Duration
		wantSubmitted bool
		// Run returns within this long after the stop.
		minStop, maxStop time.Duration
	}{
		// The send ends 5 s after the stop; the record lands on the
		// attempt at 8.1 s (backoff 0.1, 0.2, 0.4, 0.8, 1.6 s).
		{"record lands within the grace", 8 * time.Second, true, 8 * time.Second, 9 * time.Second},
		// The grace starts with the first failed record, 5 s after the stop.
		{"store does not come back", time.Hour, false, 5*time.Second + grace, 5*time.Second + grace + time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, nil, 0)
				e.up.Upstream = &fakeUpstream{delay: 10 * time.Second}
				start := time.Now()
				stopAt := start.Add(5 * time.Second) // mid-send
				fs := &faultyStore{Store: e.store, f: faults{downFrom: start, downUntil: stopAt.Add(tc.downAfterStop)}}
				logs := &syncBuffer{}
				e.cfg.Store, e.cfg.RecordGrace = fs, grace
				e.cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
				m := e.accept(template(1, start, openwaba.DefaultTTL))[0]
				e.start()

				time.Sleep(time.Until(stopAt))
				e.halt()
				took := time.Since(stopAt)
				if took < tc.minStop || took > tc.maxStop {
					t.Errorf("Run returned %v after the stop, want between %v and %v", took, tc.minStop, tc.maxStop)
				}
				got := e.message(m.ID)
				wamid := "wamid." + strconv.FormatInt(m.ID, 10) + ".1"
				if tc.wantSubmitted {
					if got.WAMID != wamid {
						t.Errorf("message has wamid %q after the stop, want %q", got.WAMID, wamid)
					}
					return
				}
				if got.WAMID != "" {
					t.Errorf("message has wamid %q, want none: the store was down", got.WAMID)
				}
				if !logged(logs.String(), "level=ERROR", wamid) {
					t.Errorf("no error naming %s in the log:\n%s", wamid, logs)
				}
			})
		})
	}
}

// TestStopReturnsPacedMessages: at a stop, the messages still waiting for
// their sender's pace, or for a slot in its lane (at 1/s it has 4, so 46
// of the 50 wait there), are not sent but put back in the queue, due at
// once.
func TestStopReturnsPacedMessages(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil, 1)
		e.up.Upstream = &fakeUpstream{}
		start := time.Now()
		batch := make([]openwaba.Message, 50)
		for i := range batch {
			batch[i] = template(i, start, openwaba.DefaultTTL)
		}
		msgs := e.accept(batch...)
		e.start()
		time.Sleep(5500 * time.Millisecond)
		e.halt()
		stopped := time.Since(start)
		if stopped > 6*time.Second {
			t.Errorf("Run returned %v after the start, want at once after the stop at 5.5 s", stopped)
		}

		sent := len(e.up.records())
		if sent < 5 || sent > 7 {
			t.Errorf("%d sent in 5.5 s at 1/s, want about 6", sent)
		}
		again, err := e.store.ClaimDue(t.Context(), time.Now(), time.Minute, len(msgs))
		if err != nil {
			t.Fatal(err)
		}
		if len(again)+sent != len(msgs) {
			t.Errorf("%d sent and %d due again after the stop, want %d in all", sent, len(again), len(msgs))
		}
	})
}

func logged(logs string, parts ...string) bool {
	for line := range strings.SplitSeq(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
