package batch

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestGather: a write to an idle writer commits at once; writes that
// follow a commit closely wait up to Gather for company and share a
// commit; a batch of GatherBelow goes without waiting; without Gather
// every write that finds the writer free commits alone.
func TestGather(t *testing.T) {
	t.Parallel()
	const gather = time.Millisecond
	for _, tc := range []struct {
		name    string
		opts    Options
		batches []int // ops per commit: the idle write, then the two close ones
		waited  time.Duration
	}{
		{"gathers when busy", Options{Gather: gather}, []int{1, 2}, gather},
		{"full batch goes at once", Options{Gather: gather, GatherBelow: 2}, []int{1, 2}, gather / 2},
		{"no gather", Options{}, []int{1, 1, 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				db := &fakeDB{}
				b := New[*fakeTx](db, tc.opts)
				defer b.Close()
				start := time.Now()
				if err := b.Do(context.Background(), write("idle")); err != nil {
					t.Fatal(err)
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("a write to an idle writer waited %v", d)
				}
				start = time.Now()
				var wg sync.WaitGroup
				var waited time.Duration
				wg.Go(func() {
					if err := b.Do(context.Background(), write("first")); err != nil {
						t.Error(err)
					}
					waited = time.Since(start)
				})
				wg.Go(func() {
					time.Sleep(gather / 2)
					if err := b.Do(context.Background(), write("second")); err != nil {
						t.Error(err)
					}
				})
				wg.Wait()
				committed, batches := db.state()
				if !slices.Equal(batches, tc.batches) || len(committed) != 3 {
					t.Errorf("commits of %v ops (%v), want %v", batches, committed, tc.batches)
				}
				if waited != tc.waited {
					t.Errorf("the first close write waited %v, want %v", waited, tc.waited)
				}
			})
		})
	}
}
