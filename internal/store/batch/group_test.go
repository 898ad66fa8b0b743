package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupSharesFlushes: requests that arrive while a flush runs are
// flushed together in the next one; every caller gets its own outcome and
// each request is flushed exactly once.
func TestGroupSharesFlushes(t *testing.T) {
	t.Parallel()
	var flushes, flushed atomic.Int32
	seen := sync.Map{}
	gate := make(chan struct{})
	first := true
	var mu sync.Mutex
	g := NewGroup(func(reqs []int) []error {
		mu.Lock()
		wait := first
		first = false
		mu.Unlock()
		if wait {
			<-gate // hold the first flush until the others queued
		}
		flushes.Add(1)
		errs := make([]error, len(reqs))
		for i, r := range reqs {
			flushed.Add(1)
			if _, dup := seen.LoadOrStore(r, true); dup {
				errs[i] = fmt.Errorf("request %d flushed twice", r)
			}
			if r%7 == 0 {
				errs[i] = fmt.Errorf("refused %d", r)
			}
		}
		return errs
	})
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = g.Do(context.Background(), 0) })
	for !g.isLeading() {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < n; i++ {
		wg.Go(func() { errs[i] = g.Do(context.Background(), i) })
	}
	for g.waiting() < n-1 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if want := i%7 == 0; want != (err != nil) {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if flushed.Load() != n || flushes.Load() != 2 {
		t.Errorf("%d requests in %d flushes, want %d in 2 (the first alone, then the rest together)", flushed.Load(), flushes.Load(), n)
	}
}

// TestGroupDropsAbandoned: a caller that gives up before its request was
// flushed gets ctx.Err() and its request is never flushed; the lead passes
// over it.
func TestGroupDropsAbandoned(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	var flushed sync.Map
	var calls atomic.Int32
	g := NewGroup(func(reqs []string) []error {
		if calls.Add(1) == 1 {
			<-gate
		}
		for _, r := range reqs {
			flushed.Store(r, true)
		}
		return make([]error, len(reqs))
	})
	done := make(chan error, 3)
	go func() { done <- g.Do(context.Background(), "leader") }()
	for !g.isLeading() {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- g.Do(ctx, "quitter") }()
	for g.waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	go func() { done <- g.Do(context.Background(), "patient") }()
	for g.waiting() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	var quit error
	for range 1 {
		quit = <-done
	}
	close(gate)
	errs := []error{quit, <-done, <-done}
	canceled := 0
	for _, err := range errs {
		if errors.Is(err, context.Canceled) {
			canceled++
		} else if err != nil {
			t.Errorf("Do: %v", err)
		}
	}
	if _, ok := flushed.Load("quitter"); ok || canceled != 1 {
		t.Errorf("abandoned request flushed (%v) or %d callers cancelled", ok, canceled)
	}
	if _, ok := flushed.Load("patient"); !ok {
		t.Error("the request after the abandoned one was never flushed: the lead did not pass on")
	}
}

func (g *Group[R]) isLeading() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.leading && len(g.pending) == 0
}

func (g *Group[R]) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// TestGroupSizes: every group is counted once, in the class of its size,
// and the classes are cumulative as Prometheus's buckets are.
func TestGroupSizes(t *testing.T) {
	t.Parallel()
	var c sizeCounts
	for _, n := range []int{1, 1, 2, 3, 4, 5, 8, 9, 200, 256, 257, 1000} {
		c.add(n)
	}
	got := c.read()
	want := Sizes{Groups: 12, Requests: 1746, Within: [SizeBuckets]uint64{2, 3, 5, 7, 8, 8, 8, 8, 10}}
	if got != want {
		t.Errorf("sizes = %+v, want %+v", got, want)
	}
	for i, b := range []int{1, 2, 4, 8, 16, 32, 64, 128, 256} {
		if SizeBound(i) != b {
			t.Errorf("SizeBound(%d) = %d, want %d", i, SizeBound(i), b)
		}
	}
}

// TestGroupCountsWhatItFlushes: a Group's sizes add up to the requests
// its flushes were handed, group by group.
func TestGroupCountsWhatItFlushes(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var flushed []int
	g := NewGroup(func(reqs []int) []error {
		mu.Lock()
		flushed = append(flushed, len(reqs))
		mu.Unlock()
		time.Sleep(time.Millisecond) // let others queue behind it
		return make([]error, len(reqs))
	})
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			if err := g.Do(context.Background(), i); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var want sizeCounts
	for _, n := range flushed {
		want.add(n)
	}
	if got := g.Sizes(); got != want.read() || got.Requests != 64 {
		t.Errorf("sizes = %+v, want %+v over 64 requests", got, want.read())
	}
}
