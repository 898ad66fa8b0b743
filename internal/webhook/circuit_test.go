package webhook

import (
	"strings"
	"testing"
	"time"
)

// TestCircuit walks one receiver's circuit through its states: closed
// while failures stay below openAfter, open (held back) for the pause,
// one probe when it is over, the pause doubled (up to maxPause) when the
// probe fails, closed by any answer.
func TestCircuit(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	const hook, target = 7, "http://127.0.0.1:9/hook"
	type step struct {
		at         time.Duration // since t0
		want       string        // "send", "probe" or "held"
		result     result        // of a sent one
		retryAfter time.Duration
		opened     time.Duration // the pause the result opens
		closed     bool
		inFlight   bool // no result yet
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"failures below the threshold keep it closed, an answer resets them", []step{
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 0, 0, false, false},
			{0, "send", answered, 0, 0, false, false},
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 0, 0, false, false},
			{0, "send", unsent, 0, 0, false, false}, // neither: not the receiver's doing
			{0, "send", answered, 0, 0, false, false},
		}},
		{"three in a row open it; a failed probe doubles the pause, up to the longest", []step{
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 0, 10 * time.Second, false, false},
			{time.Second, "held", 0, 0, 0, false, false},
			{10 * time.Second, "probe", failed, 0, 20 * time.Second, false, false},
			{29 * time.Second, "held", 0, 0, 0, false, false},
			{30 * time.Second, "probe", failed, 0, 40 * time.Second, false, false},
			{70 * time.Second, "probe", failed, 0, 45 * time.Second, false, false},
			{115 * time.Second, "probe", answered, 0, 0, true, false},
			{115 * time.Second, "send", failed, 0, 0, false, false}, // closed: counted afresh
		}},
		{"one probe at a time; an unsent probe lets the next one go", []step{
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 0, 10 * time.Second, false, false},
			{10 * time.Second, "probe", unsent, 0, 0, false, false},
			{10 * time.Second, "probe", 0, 0, 0, false, true}, // in flight …
			{11 * time.Second, "held", 0, 0, 0, false, false}, // … so this one waits
		}},
		{"the receiver's Retry-After lengthens the pause, within the longest", []step{
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 0, 0, false, false},
			{0, "send", failed, 30 * time.Second, 30 * time.Second, false, false},
			{20 * time.Second, "held", 0, 0, 0, false, false},
			{30 * time.Second, "probe", failed, time.Hour, 45 * time.Second, false, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := newCircuits(3, 10*time.Second, 45*time.Second)
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				tk := cs.allow(hook, target, now)
				got := "send"
				switch {
				case !tk.ok:
					got = "held"
				case tk.probe:
					got = "probe"
				}
				if got != s.want {
					t.Fatalf("step %d at +%v: %s, want %s", i, s.at, got, s.want)
				}
				if !tk.ok {
					if !tk.until.After(now) || !strings.HasPrefix(tk.held, "held back: the receiver failed its last ") {
						t.Fatalf("step %d: held until %v (now %v), reason %q", i, tk.until, now, tk.held)
					}
					continue
				}
				if s.inFlight {
					continue
				}
				opened, closed := cs.done(tk, s.result, s.retryAfter, now)
				if opened != s.opened || closed != s.closed {
					t.Fatalf("step %d at +%v: opened %v closed %v, want %v %v", i, s.at, opened, closed, s.opened, s.closed)
				}
			}
		})
	}
}

// TestCircuitAttemptsFromBeforeItOpened: attempts sent while it was still
// closed come back after it opened; their failures do not extend the
// pause, and an answer among them closes it.
func TestCircuitAttemptsFromBeforeItOpened(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cs := newCircuits(2, 10*time.Second, time.Minute)
	var sent []ticket
	for range 4 {
		sent = append(sent, cs.allow(1, "http://127.0.0.1:1/", now))
	}
	if opened, _ := cs.done(sent[0], failed, 0, now); opened != 0 {
		t.Fatalf("one failure opened it for %v", opened)
	}
	if opened, _ := cs.done(sent[1], failed, 0, now); opened != 10*time.Second {
		t.Fatalf("two failures opened it for %v, want 10s", opened)
	}
	if opened, _ := cs.done(sent[2], failed, 0, now.Add(5*time.Second)); opened != 0 {
		t.Fatalf("a failure from before it opened reopened it for %v", opened)
	}
	if tk := cs.allow(1, "http://127.0.0.1:1/", now.Add(9*time.Second)); tk.ok || !tk.until.Equal(now.Add(10*time.Second)) {
		t.Fatalf("at +9s: %+v, want held until +10s", tk)
	}
	if _, closed := cs.done(sent[3], answered, 0, now.Add(9*time.Second)); !closed {
		t.Fatal("an answer did not close it")
	}
	if tk := cs.allow(1, "http://127.0.0.1:1/", now.Add(9*time.Second)); !tk.ok || tk.probe {
		t.Fatalf("after the answer: %+v, want sent as closed", tk)
	}
}

// TestCircuitProbeAfterItClosed: a probe that fails after another
// attempt's answer closed the circuit is a first failure, not a reopening.
func TestCircuitProbeAfterItClosed(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cs := newCircuits(2, 10*time.Second, time.Minute)
	old := cs.allow(1, "http://127.0.0.1:1/", now)
	cs.done(cs.allow(1, "http://127.0.0.1:1/", now), failed, 0, now)
	cs.done(cs.allow(1, "http://127.0.0.1:1/", now), failed, 0, now)
	probe := cs.allow(1, "http://127.0.0.1:1/", now.Add(10*time.Second))
	if !probe.probe {
		t.Fatalf("after the pause: %+v, want a probe", probe)
	}
	if _, closed := cs.done(old, answered, 0, now.Add(11*time.Second)); !closed {
		t.Fatal("an answer did not close it")
	}
	if opened, _ := cs.done(probe, failed, 0, now.Add(12*time.Second)); opened != 0 {
		t.Fatalf("the late probe's failure opened it for %v", opened)
	}
	if tk := cs.allow(1, "http://127.0.0.1:1/", now.Add(12*time.Second)); !tk.ok || tk.probe {
		t.Fatalf("after one failure: %+v, want sent as closed", tk)
	}
}

// TestCircuitsPerHookAndTarget: another hook, or the same hook at a new
// target_url, is not held back by a failing one.
func TestCircuitsPerHookAndTarget(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cs := newCircuits(1, time.Minute, time.Minute)
	if _, closed := cs.done(cs.allow(1, "http://127.0.0.1:1/a", now), failed, 0, now); closed {
		t.Fatal("closed by a failure")
	}
	for _, c := range []struct {
		hook   int64
		target string
		ok     bool
	}{{1, "http://127.0.0.1:1/a", false}, {2, "http://127.0.0.1:1/a", true}, {1, "http://127.0.0.1:1/b", true}} {
		if got := cs.allow(c.hook, c.target, now).ok; got != c.ok {
			t.Errorf("hook %d at %s: allowed %v, want %v", c.hook, c.target, got, c.ok)
		}
	}
}

// TestCircuitsForgetDeletedHooks: entries of receivers not heard of for a
// day are dropped once there are many, so hooks deleted while failing do
// not pile up.
func TestCircuitsForgetDeletedHooks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cs := newCircuits(1, time.Minute, time.Minute)
	for i := range sweepAbove {
		cs.done(cs.allow(int64(i), "http://127.0.0.1:1/", t0), failed, 0, t0)
	}
	later := t0.Add(sweepAge + time.Hour)
	cs.done(cs.allow(-1, "http://127.0.0.1:1/", later), failed, 0, later)
	if n := len(cs.m); n != 1 {
		t.Fatalf("%d entries, want the new one alone", n)
	}
}
