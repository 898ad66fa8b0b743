package queue_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openwaba/openwaba/internal/queue"
)

// fakeStore is an in-memory queue of due times, enough to drive the loop.
type fakeStore struct {
	mu      sync.Mutex
	due     []time.Time // pending items, by due time
	early   bool        // Next reports "due now" although nothing can be claimed
	claims  atomic.Int32
	handled []time.Time
}

func (f *fakeStore) next(context.Context) (time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.early {
		return time.Now(), true, nil
	}
	if len(f.due) == 0 {
		return time.Time{}, false, nil
	}
	return f.due[0], true, nil
}

func (f *fakeStore) claim(_ context.Context, now time.Time, limit int) ([]time.Time, error) {
	f.claims.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.early {
		return nil, nil
	}
	var out []time.Time
	for len(f.due) > 0 && !f.due[0].After(now) && len(out) < limit {
		out = append(out, f.due[0])
		f.due = f.due[1:]
	}
	return out, nil
}

func (f *fakeStore) process(_ context.Context, due time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handled = append(f.handled, due)
}

func (f *fakeStore) handledCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.handled)
}

func run(t *testing.T, f *fakeStore) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		queue.Loop[time.Time]{
			Name: "items", Next: f.next, Claim: f.claim, Process: f.process,
			Workers: 2, Batch: 10, Poll: time.Second, Now: time.Now, Log: slog.New(slog.DiscardHandler),
		}.Run(ctx)
		close(done)
	}()
	return func() { cancel(); <-done }
}

// TestIdleLoopDoesNotClaim: while nothing is due the loop only reads; a
// claim (a write transaction in the real stores) happens when work is due.
func TestIdleLoopDoesNotClaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeStore{}
		stop := run(t, f)
		time.Sleep(time.Minute)
		if n := f.claims.Load(); n != 0 {
			t.Fatalf("%d claims in an idle minute, want 0", n)
		}
		start := time.Now()
		f.mu.Lock()
		f.due = []time.Time{start.Add(90 * time.Second), start.Add(90 * time.Second), start.Add(3 * time.Minute)}
		f.mu.Unlock()
		time.Sleep(5 * time.Minute)
		stop()
		if f.handledCount() != 3 {
			t.Fatalf("handled %d items, want 3", f.handledCount())
		}
		// Each claim found work: at most one claim per due time.
		if n := f.claims.Load(); n > 2 {
			t.Errorf("%d claims for 2 due times", n)
		}
	})
}

// TestDueWorkWaitsForItsTime: an item is processed at its due time, not
// before, and within a poll after.
func TestDueWorkWaitsForItsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		due := start.Add(10*time.Second + 300*time.Millisecond)
		f := &fakeStore{due: []time.Time{due}}
		stop := run(t, f)
		time.Sleep(10 * time.Second)
		if f.handledCount() != 0 {
			t.Fatal("processed before its due time")
		}
		time.Sleep(time.Second)
		stop()
		if f.handledCount() != 1 {
			t.Fatal("not processed within a second after its due time")
		}
	})
}

// TestEarlyNextDoesNotSpin: when Next says "due" but nothing can be
// claimed (work waiting behind other work), the loop backs off instead of
// claiming in a tight loop.
func TestEarlyNextDoesNotSpin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeStore{early: true}
		stop := run(t, f)
		time.Sleep(10 * time.Second)
		stop()
		if n := f.claims.Load(); n > 110 {
			t.Errorf("%d claims in 10 s, want about 100 (one per Poll/10)", n)
		}
	})
}
