package dispatch

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestLaneLimitFollowsLittlesLaw: once a sender's sends are observed, its
// lane holds mps × service time × 1.5 slots, at least minInFlight and at
// most the bound.
func TestLaneLimitFollowsLittlesLaw(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mps     int
		service time.Duration
		max     int
		want    int
	}{
		{1000, 200 * time.Millisecond, 512, 300},
		{1000, 50 * time.Millisecond, 512, 75},
		{80, 200 * time.Millisecond, 512, 24},
		{1000, time.Millisecond, 512, minInFlight},    // an instant Graph
		{1, 30 * time.Second, 512, 45},                // a very slow one
		{1000, 2 * time.Second, 512, 512},             // bounded
		{1000, 200 * time.Millisecond, 100, 100},      // a lower bound
		{10_000, 200 * time.Millisecond, 512, 512},    // above Meta's standard pace
		{1000, 0, 512, minInFlight},                   // nothing takes time
		{2, 100 * time.Millisecond, 512, minInFlight}, // a slow pace
	} {
		t.Run(fmt.Sprintf("%d/s,%v,max%d", tc.mps, tc.service, tc.max), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := newLanes(tc.max)
				// Enough observations of the same service time for the
				// average to settle on it (to within a nanosecond).
				for range 400 {
					s, err := l.acquire(t.Context(), "a", tc.mps)
					if err != nil {
						t.Fatal(err)
					}
					time.Sleep(tc.service)
					s.release()
				}
				if _, got := l.inFlight("a"); got != tc.want && got != tc.want+1 {
					t.Errorf("limit %d, want %d", got, tc.want)
				}
			})
		})
	}
}

// TestLaneNeverExceedsItsLimit: however many sends want a slot, no more
// than the lane's limit hold one at a time, and the waiting ones get
// theirs in order of arrival as soon as one is free.
func TestLaneNeverExceedsItsLimit(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const sends = 200
		l := newLanes(512)
		var mu sync.Mutex
		busy, most := 0, 0
		got := make([]time.Duration, sends) // when each send had its slot
		start := time.Now()
		var wg sync.WaitGroup
		for i := range sends {
			wg.Go(func() {
				// 20/s at the initial second: a limit of 30.
				s, err := l.acquire(context.Background(), "a", 20)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				busy++
				most = max(most, busy)
				got[i] = time.Since(start)
				mu.Unlock()
				time.Sleep(time.Second)
				mu.Lock()
				busy--
				mu.Unlock()
				s.release()
			})
			synctest.Wait() // each arrives after the one before
		}
		wg.Wait()
		if most != 30 {
			t.Errorf("at most %d slots busy at once, want the limit 30", most)
		}
		// In order of arrival: the first 30 at once, the next 30 when
		// those are done, and so on.
		for i, at := range got {
			if want := time.Duration(i/30) * time.Second; at != want {
				t.Fatalf("send %d had its slot at %v, want %v", i, at, want)
			}
		}
		if b, _ := l.inFlight("a"); b != 0 {
			t.Errorf("%d slots still busy after all released", b)
		}
	})
}

// TestLaneWaitEndsWithContext: a send waiting for a slot gives up when the
// dispatcher stops, and the slot it may have been handed at that moment
// is passed on: after any mix of stops and releases, the lane is empty and
// the next send gets a slot at once.
func TestLaneWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newLanes(512)
		var held []*slot
		for range minInFlight {
			s, err := l.acquire(t.Context(), "a", 1)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, s)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 10)
		for range 10 {
			go func() {
				s, err := l.acquire(ctx, "a", 1)
				if err == nil {
					s.release()
				}
				errs <- err
			}()
		}
		synctest.Wait()
		// Release one slot while the waiters are stopped: the handover
		// and the stop race.
		held[0].release()
		held[0].release() // a second release changes nothing
		cancel()
		stopped := 0
		for range 10 {
			if err := <-errs; err != nil {
				stopped++
			}
		}
		if stopped < 9 {
			t.Errorf("%d of 10 waiters stopped, want at least 9 (one may have taken the freed slot)", stopped)
		}
		for _, s := range held[1:] {
			s.release()
		}
		if b, _ := l.inFlight("a"); b != 0 {
			t.Errorf("%d slots busy after every send ended, want 0", b)
		}
		if _, err := l.acquire(context.Background(), "a", 1); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLanesAreSeparate: one sender's full lane does not hold up another's.
func TestLanesAreSeparate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newLanes(512)
		for range minInFlight {
			if _, err := l.acquire(t.Context(), "a", 1); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := l.acquire(ctx, "b", 1); err != nil {
			t.Fatalf("b waited behind a's full lane: %v", err)
		}
		if _, err := l.acquire(ctx, "a", 1); err == nil {
			t.Fatal("a got a slot beyond its limit")
		}
	})
}
