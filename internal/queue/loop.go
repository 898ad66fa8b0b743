// Package queue runs the claim loop that the dispatcher and the webhook
// deliverer share: wait until the store says work is due, claim it with a
// lease, hand it to a pool of workers, and repeat — without a write
// transaction (and its fsync) while nothing is due.
package queue

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Loop claims due work of type T from a store and processes it.
type Loop[T any] struct {
	// Name names the work in logs ("messages", "webhook deliveries").
	Name string
	// Next returns the earliest time Claim may find something, or false
	// when there is nothing at all. It may be early (work that is due but
	// not yet claimable); it must not be late.
	Next func(ctx context.Context) (time.Time, bool, error)
	// Claim leases up to limit items due at now.
	Claim func(ctx context.Context, now time.Time, limit int) ([]T, error)
	// Process handles one item; it runs on a worker with a context that
	// is not cancelled at shutdown, so that work in flight finishes.
	Process func(ctx context.Context, item T)
	// Release, when set, gives back items that were claimed but not
	// handed to a worker when the loop stopped.
	Release func(ctx context.Context, items []T)

	Workers int           // processing at once
	Batch   int           // most items one claim takes
	Poll    time.Duration // longest sleep without being woken
	Now     func() time.Time
	Wake    <-chan struct{} // something new may be due
	Log     *slog.Logger
}

// Run loops until ctx is cancelled, then waits for the workers.
func (l Loop[T]) Run(ctx context.Context) {
	jobs := make(chan T)
	workCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range l.Workers {
		wg.Go(func() {
			for item := range jobs {
				l.Process(workCtx, item)
			}
		})
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()

	for ctx.Err() == nil {
		now := l.Now()
		next, ok, err := l.Next(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				l.Log.Error("looking for due "+l.Name, "err", err)
			}
			l.sleep(ctx, l.Poll)
			continue
		case !ok:
			l.sleep(ctx, l.Poll)
			continue
		case next.After(now):
			l.sleep(ctx, min(next.Sub(now), l.Poll))
			continue
		}
		items, err := l.Claim(ctx, now, l.Batch)
		if err != nil {
			if ctx.Err() == nil {
				l.Log.Error("claiming "+l.Name, "err", err)
			}
			l.sleep(ctx, l.Poll)
			continue
		}
		for i, item := range items {
			select {
			case jobs <- item:
			case <-ctx.Done():
				if l.Release != nil {
					l.Release(workCtx, items[i:])
				}
				return
			}
		}
		if len(items) == 0 {
			// Next saw something due that could not be claimed (it waits
			// behind other work): do not spin on it.
			l.sleep(ctx, l.Poll/10)
		}
	}
}

func (l Loop[T]) sleep(ctx context.Context, wait time.Duration) {
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-l.Wake:
	case <-t.C:
	}
}
