package webhook

import (
	"strconv"
	"sync"
	"time"
)

// circuits holds back the webhooks of receivers that stopped answering,
// so that one customer's dead endpoint does not take every worker. The
// deliverer claims the oldest due deliveries across all hooks; without
// this, a receiver that times out holds a worker for the whole timeout on
// every one of its deliveries, and a busy account's dead endpoint delays
// every other account's webhooks.
//
// A hook's circuit opens after openAfter failed attempts in a row (a
// timeout, a connection error, 408, 429 or a 5xx: the retryable answers);
// while it is open, the hook's deliveries are not sent but count as
// failed attempts, held back ("held"), on their own retry schedule. When
// its pause is over, one delivery is sent as a probe: an answer closes the
// circuit, a failure opens it again for twice as long, up to maxPause.
// Any answer that is not a retryable failure (2xx, and the final 4xx too:
// the receiver is there) closes it.
//
// State is per node and in memory: each node finds a dead receiver out on
// its own, which costs a few attempts, not a shared write per attempt.
// Only failing receivers have an entry; a closed circuit is no entry.
type circuits struct {
	openAfter int           // failures in a row that open a circuit
	pause     time.Duration // the first pause
	maxPause  time.Duration // the longest

	mu sync.Mutex
	m  map[circuitKey]*circuit
}

// circuitKey is a hook at its target: a changed target_url starts closed.
type circuitKey struct {
	hook   int64
	target string
}

type circuit struct {
	failures int           // failed attempts in a row
	until    time.Time     // open until; zero while closed
	pause    time.Duration // the pause of the last opening
	probing  bool          // a probe is in flight
	touched  time.Time
}

// ticket is the permission to send one delivery (ok), or the reason it is
// held back.
type ticket struct {
	key   circuitKey
	ok    bool
	probe bool
	until time.Time // held: when the circuit lets a probe through
	held  string    // held: why
}

// sweepAbove is the entry count above which a new entry first drops those
// untouched for sweepAge (hooks deleted while failing).
const (
	sweepAbove = 256
	sweepAge   = 24 * time.Hour
)

func newCircuits(openAfter int, pause, maxPause time.Duration) *circuits {
	return &circuits{openAfter: openAfter, pause: pause, maxPause: max(pause, maxPause), m: map[circuitKey]*circuit{}}
}

// allow decides whether a delivery to the hook's target may be sent now.
func (cs *circuits) allow(hook int64, target string, now time.Time) ticket {
	k := circuitKey{hook, target}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.m[k]
	if c == nil || c.until.IsZero() {
		return ticket{key: k, ok: true}
	}
	why := "held back: the receiver failed its last " + strconv.Itoa(c.failures) + " attempts"
	switch {
	case now.Before(c.until):
		return ticket{key: k, until: c.until, held: why}
	case c.probing:
		return ticket{key: k, until: now.Add(cs.pause), held: why + "; a probe is under way"}
	}
	c.probing, c.touched = true, now
	return ticket{key: k, ok: true, probe: true}
}

// result is what a sent delivery's attempt told of the receiver.
type result int

const (
	answered result = iota // the receiver answered, other than a retryable failure
	failed                 // a retryable failure: timeout, connection error, 408, 429, 5xx
	unsent                 // not sent after all (it could not be rendered or signed)
)

// done records the result of an allowed attempt; retryAfter (the
// receiver's, 0 if none) lengthens a pause it opens. It reports the
// circuit's change: opened (for how long) or closed.
func (cs *circuits) done(t ticket, r result, retryAfter time.Duration, now time.Time) (opened time.Duration, closed bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.m[t.key]
	switch r {
	case unsent:
		if c != nil && t.probe {
			c.probing = false
		}
		return 0, false
	case answered:
		if c == nil {
			return 0, false
		}
		delete(cs.m, t.key)
		return 0, !c.until.IsZero()
	}
	// The probe of this opening: an answer from another attempt may have
	// closed the circuit since, and this failure then counts afresh.
	probe := t.probe && c != nil && c.probing
	if c == nil {
		if len(cs.m) >= sweepAbove {
			cs.sweep(now)
		}
		c = &circuit{}
		cs.m[t.key] = c
	}
	c.failures++
	c.touched = now
	switch {
	case probe:
		c.probing = false
		c.pause = min(2*c.pause, cs.maxPause)
	case c.until.IsZero() && c.failures >= cs.openAfter:
		c.pause = cs.pause
	default:
		return 0, false // still closed, or already open: an attempt from before it opened
	}
	pause := max(c.pause, min(retryAfter, cs.maxPause))
	c.until = now.Add(pause)
	return pause, false
}

// heldUntil reports whether the hook's webhooks are held back at its
// target, and until when: then a probe goes (already past: a probe is due,
// or under way).
func (cs *circuits) heldUntil(hook int64, target string) (time.Time, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.m[circuitKey{hook, target}]
	if c == nil || c.until.IsZero() {
		return time.Time{}, false
	}
	return c.until, true
}

// sweep drops the entries untouched for sweepAge.
func (cs *circuits) sweep(now time.Time) {
	for k, c := range cs.m {
		if now.Sub(c.touched) > sweepAge && !c.probing {
			delete(cs.m, k)
		}
	}
}
