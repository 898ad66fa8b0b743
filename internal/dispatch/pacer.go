package dispatch

import (
	"context"
	"sync"
	"time"
)

// pacer keeps every sender number under WhatsApp's throughput, so that
// openwaba never provokes 130429. Meta counts messages per second; the
// pacer guarantees that no window of one second, wherever it starts, holds
// more than the sender's MPS, from the first second on: a token bucket
// that starts full lets the first second carry its burst on top of the
// rate. Steady state is exactly the MPS.
type pacer struct {
	defaultMPS int
	observe    func(time.Duration) // how long each send waits for its slot, when set
	mu         sync.Mutex
	senders    map[string]*window
}

func newPacer(defaultMPS int) *pacer {
	return &pacer{defaultMPS: defaultMPS, senders: map[string]*window{}}
}

// window remembers when the last mps sends of one sender were allowed. A
// send may start once the one mps places before it is a second old.
type window struct {
	mu    sync.Mutex
	slots []time.Time // a ring of the last len(slots) start times
	next  int         // the oldest slot, which the next send replaces
}

// pacingWindow is the span Meta counts throughput over.
const pacingWindow = time.Second

// wait blocks until sender may send one more message, or ctx ends (then
// the slot it reserved stays taken: pacing errs on the slow side).
func (p *pacer) wait(ctx context.Context, sender string, mps int) error {
	if mps <= 0 {
		mps = p.defaultMPS
	}
	p.mu.Lock()
	w, ok := p.senders[sender]
	if !ok || len(w.slots) != mps {
		// A new sender, or its MPS changed: start its window afresh.
		w = &window{slots: make([]time.Time, mps)}
		p.senders[sender] = w
	}
	p.mu.Unlock()
	at := w.reserve(time.Now())
	d := time.Until(at)
	if p.observe != nil {
		p.observe(max(d, 0)) // the wait this send's slot asks for
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve takes the next slot and returns when its send may start: now,
// or a second after the send mps places before it, whichever is later.
func (w *window) reserve(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := now
	if oldest := w.slots[w.next]; !oldest.IsZero() {
		at = maxTime(at, oldest.Add(pacingWindow))
	}
	w.slots[w.next] = at
	w.next = (w.next + 1) % len(w.slots)
	return at
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
