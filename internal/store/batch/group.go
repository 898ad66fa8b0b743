package batch

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Group collects requests that arrive while the previous ones are being
// written and hands them to one call of flush together, so that a group
// costs one statement (or a few) instead of one per request. The Batcher
// shares commits between operations; a Group goes further and shares the
// statements: its flush sees every request of the group at once.
//
// No goroutine of its own: the first caller to find the group idle becomes
// its leader and flushes what is pending; when that is done, and more has
// arrived meanwhile, it hands the lead to the oldest waiting caller and
// returns. So no caller waits for more than the group in flight and its
// own.
type Group[R any] struct {
	flush func(reqs []R) []error

	mu      sync.Mutex
	pending []*member[R]
	leading bool

	sizes sizeCounts
}

// led is the state of a member made leader: its caller can no longer give
// up, it has a group to run.
const led int32 = abandoned + 1

// member is one request in a group. state decides the race between its
// caller giving up and a flush taking it (or the lead passing to it), as
// in Batcher.
type member[R any] struct {
	req   R
	state atomic.Int32
	done  chan error // buffered: a flush never blocks on a caller
	lead  chan struct{}
}

// NewGroup returns a Group that writes its requests with flush, which
// returns one error (nil: written durably) per request, in order.
func NewGroup[R any](flush func(reqs []R) []error) *Group[R] {
	return &Group[R]{flush: flush}
}

// Do adds req to the next group and returns its outcome. If ctx ends
// before a flush took req, req is dropped and Do returns ctx.Err(); once
// taken, Do waits for the outcome whatever ctx does.
func (g *Group[R]) Do(ctx context.Context, req R) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m := &member[R]{req: req, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, m)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		g.run()
		return <-m.done
	}
	select {
	case err := <-m.done:
		return err
	case <-m.lead:
		g.run()
		return <-m.done
	case <-ctx.Done():
		if m.state.CompareAndSwap(pending, abandoned) {
			return ctx.Err()
		}
		// Taken meanwhile: its flush is under way, or it was made leader.
		select {
		case err := <-m.done:
			return err
		case <-m.lead:
			g.run()
			return <-m.done
		}
	}
}

// run flushes what is pending once, then passes the lead on (or gives it
// up when nothing waits).
func (g *Group[R]) run() {
	g.mu.Lock()
	taken := g.pending
	g.pending = nil
	g.mu.Unlock()

	live := make([]*member[R], 0, len(taken))
	reqs := make([]R, 0, len(taken))
	for _, m := range taken {
		if m.state.CompareAndSwap(pending, running) || m.state.CompareAndSwap(led, running) {
			live = append(live, m)
			reqs = append(reqs, m.req)
		}
	}
	if len(live) > 0 {
		g.sizes.add(len(live))
		errs := g.flush(reqs)
		for i, m := range live {
			m.done <- errs[i]
		}
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.pending) > 0 {
		next := g.pending[0]
		if !next.state.CompareAndSwap(pending, led) {
			g.pending = g.pending[1:] // abandoned: drop it
			continue
		}
		next.lead <- struct{}{}
		return
	}
	g.leading = false
}

// Sizes is what a Group has written so far, by the size of its groups:
// under load, small groups mean more statements and commits per request
// (docs/performance.md), so the metrics show them.
type Sizes struct {
	Groups, Requests uint64
	// Within[i] counts the groups of at most SizeBound(i) requests
	// (cumulative, as Prometheus's buckets are); Groups counts them all.
	Within [SizeBuckets]uint64
}

// SizeBuckets is the number of bounds of Sizes.Within: 1, 2, 4 … 256.
const SizeBuckets = 9

// SizeBound is the upper bound of Sizes.Within[i]: 2^i requests.
func SizeBound(i int) int { return 1 << i }

// Sizes reads the counts. They are read one by one while groups may be
// written: a scrape's figures can be a group apart, never torn.
func (g *Group[R]) Sizes() Sizes { return g.sizes.read() }

// sizeCounts counts groups per power-of-two size class (the last class:
// larger than every bound), lock-free: every group adds to it.
type sizeCounts struct {
	requests atomic.Uint64
	class    [SizeBuckets + 1]atomic.Uint64
}

func (c *sizeCounts) add(n int) {
	c.requests.Add(uint64(n))
	c.class[min(bits.Len(uint(n-1)), SizeBuckets)].Add(1)
}

func (c *sizeCounts) read() Sizes {
	var s Sizes
	s.Requests = c.requests.Load()
	for i := range c.class {
		s.Groups += c.class[i].Load()
		if i < SizeBuckets {
			s.Within[i] = s.Groups
		}
	}
	return s
}
