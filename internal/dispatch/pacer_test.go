package dispatch

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestPacerNeverExceedsTheRate: however many workers wait at once, no
// window of one second (wherever it starts, the first second included)
// holds more sends than the MPS, and the sender still gets its full MPS.
func TestPacerNeverExceedsTheRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ mps, workers, sends int }{
		{80, 32, 400},
		{1000, 64, 3500},
		{2, 8, 20},
		{1, 4, 5},
	} {
		t.Run(fmt.Sprintf("mps=%d", tc.mps), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := newPacer(80)
				start := time.Now()
				var mu sync.Mutex
				var times []time.Duration
				var wg sync.WaitGroup
				todo := make(chan struct{}, tc.sends)
				for range tc.sends {
					todo <- struct{}{}
				}
				close(todo)
				for range tc.workers {
					wg.Go(func() {
						for range todo {
							if err := p.wait(context.Background(), "4915100000001", tc.mps); err != nil {
								t.Error(err)
								return
							}
							mu.Lock()
							times = append(times, time.Since(start))
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				// Every send starts a window; count what falls in it.
				for i, from := range times {
					n := 0
					for _, at := range times {
						if at >= from && at < from+time.Second {
							n++
						}
					}
					if n > tc.mps {
						t.Fatalf("%d sends in the second from %v (send %d), more than %d", n, from, i, tc.mps)
					}
				}
				// Full speed: the last send starts as soon as the rate allows.
				want := time.Duration((tc.sends-1)/tc.mps) * time.Second
				if last := times[len(times)-1]; last != want {
					t.Errorf("last send at %v, want %v: the pacer is slower than the MPS", last, want)
				}
			})
		})
	}
}
