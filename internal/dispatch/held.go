package dispatch

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/openwaba/openwaba"
)

// held is the set of messages this dispatcher has claimed and not finished
// with: waiting for a worker, being paced or sent, or waiting for their
// outcome to be recorded. Their leases are renewed as long as they are in
// it, so that no claimer, this node's next claim included, takes them a
// second time while they are ours.
type held struct {
	mu  sync.Mutex
	ids map[int64]struct{}
}

func newHeld() *held { return &held{ids: map[int64]struct{}{}} }

// take adds the claimed messages and returns those to process: a message
// this dispatcher is still working on was claimed again only because its
// lease ran out (renewals failed for a whole lease); the worker that has it
// settles it, and a second worker would send it twice.
func (h *held) take(msgs []openwaba.Message) (fresh, busy []openwaba.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fresh = make([]openwaba.Message, 0, len(msgs))
	for _, m := range msgs {
		if _, ok := h.ids[m.ID]; ok {
			busy = append(busy, m)
			continue
		}
		fresh = append(fresh, m)
		h.ids[m.ID] = struct{}{}
	}
	return fresh, busy
}

// done removes message id: this dispatcher is finished with it.
func (h *held) done(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.ids, id)
}

// list returns the held message ids in order.
func (h *held) list() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.ids))
}

// renewLeases extends the leases of the held messages every third of a
// lease until ctx ends: two renewals may fail in a row before a lease runs
// out. A failed renewal is tried again soon, with backoff, not a third of
// a lease later.
func (d *Dispatcher) renewLeases(ctx context.Context) {
	every := d.cfg.Lease / 3
	t := time.NewTimer(every)
	defer t.Stop()
	delay := recordBackoffBase
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ids := d.held.list()
		if len(ids) == 0 {
			t.Reset(every)
			continue
		}
		err := d.cfg.Store.RenewLeases(ctx, ids, d.now().Add(d.cfg.Lease))
		if err == nil {
			delay = recordBackoffBase
			t.Reset(every)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("renewing the leases of claimed messages; trying again", "messages", len(ids), "in", delay, "err", err)
		t.Reset(delay)
		delay = min(2*delay, every)
	}
}
