package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

// Group commit for Accept. Requests of one account are serialised by the
// row lock of its balance, held until the commit's WAL flush: one request
// per flush, whatever the pool size. So one goroutine per store takes every
// Accept that is waiting and commits them in one transaction, as the SQLite
// store's writer does.
//
// The batch locks the accounts it debits first, in id order, and decides
// every request against the balances it read: nodes whose batches share
// accounts wait for each other but cannot deadlock, and a refused request
// writes nothing (no dead rows for vacuum).

// maxAcceptBatch is the most requests one transaction carries.
const maxAcceptBatch = 128

// errClosed is returned by Accept once the store is closed.
var errClosed = errors.New("postgres: store closed")

// Request states: a request is taken by the accepter (running) or given up
// by its caller (abandoned), never both.
const (
	pending int32 = iota
	running
	abandoned
)

type acceptReq struct {
	accountID int64
	total     openwaba.Micros
	msgs      []openwaba.Message // IDs set on success
	contents  []string
	balance   openwaba.Micros // after this request's debit
	state     atomic.Int32
	done      chan error // buffered: the accepter never blocks on a caller
}

type accepter struct {
	s *Store
	// mu guards closed and the close of reqs: senders hold it shared, so
	// close never closes the channel under a sender.
	mu      sync.RWMutex
	closed  bool
	reqs    chan *acceptReq
	stopped chan struct{}
}

func newAccepter(s *Store) *accepter {
	a := &accepter{
		s:       s,
		reqs:    make(chan *acceptReq, maxAcceptBatch),
		stopped: make(chan struct{}),
	}
	go a.loop()
	return a
}

// do runs r in the next batch and returns once it committed or was
// refused. If ctx ends before r was taken, r is skipped; once taken, do
// waits for the outcome: the caller must learn whether its messages were
// stored.
func (a *accepter) do(ctx context.Context, r *acceptReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.done = make(chan error, 1)
	if err := a.enqueue(ctx, r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(pending, abandoned) {
			return ctx.Err()
		}
		return <-r.done
	}
}

func (a *accepter) enqueue(ctx context.Context, r *acceptReq) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return errClosed
	}
	select {
	case a.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close runs the requests already queued and stops the accepter.
func (a *accepter) close() {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.reqs)
	}
	a.mu.Unlock()
	<-a.stopped
}

func (a *accepter) loop() {
	defer close(a.stopped)
	for r := range a.reqs {
		batch := []*acceptReq{r}
	fill:
		for len(batch) < maxAcceptBatch {
			select {
			case r, ok := <-a.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		live := batch[:0]
		for _, r := range batch {
			if r.state.CompareAndSwap(pending, running) {
				live = append(live, r)
			}
		}
		a.run(live)
	}
}

// run commits reqs together. If the transaction fails for another reason
// than a refusal, one bad request (a value PostgreSQL rejects) must not
// fail the others: each then runs alone.
func (a *accepter) run(reqs []*acceptReq) {
	if len(reqs) == 0 {
		return
	}
	errs := make([]error, len(reqs))
	err := a.s.write(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		clear(errs)
		return acceptBatch(ctx, tx, reqs, errs)
	})
	if err != nil && len(reqs) > 1 {
		for _, r := range reqs {
			a.run([]*acceptReq{r})
		}
		return
	}
	for i, r := range reqs {
		if errs[i] != nil {
			r.done <- errs[i] // refused: wrote nothing
		} else {
			r.done <- err
		}
	}
}

// acceptBatch locks the accounts of reqs in id order, decides each request
// against the balance the ones before it left, and writes the accepted
// ones and the debits in one round trip. errs gets each refusal.
func acceptBatch(ctx context.Context, tx pgx.Tx, reqs []*acceptReq, errs []error) error {
	ids := make([]int64, 0, len(reqs))
	for _, r := range reqs {
		ids = append(ids, r.accountID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rows, err := tx.Query(ctx,
		`SELECT id, balance FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, ids)
	if err != nil {
		return err
	}
	balances := map[int64]openwaba.Micros{}
	if _, err := collect(rows, func(sc scanner) (struct{}, error) {
		var id int64
		var b openwaba.Micros
		err := sc.Scan(&id, &b)
		balances[id] = b
		return struct{}{}, err
	}); err != nil {
		return err
	}

	var b pgx.Batch
	debits := map[int64]openwaba.Micros{}
	for i, r := range reqs {
		balance, ok := balances[r.accountID]
		switch {
		case !ok:
			errs[i] = openwaba.ErrNotFound
			continue
		case r.total > 0 && balance < r.total:
			// Free requests pass even on a negative balance, as on SQLite.
			errs[i] = openwaba.ErrInsufficientBalance
			continue
		}
		balances[r.accountID] = balance - r.total
		debits[r.accountID] += r.total
		r.balance = balance - r.total
		queueMessages(&b, r.msgs, r.contents)
	}
	for _, id := range ids {
		if d := debits[id]; d != 0 {
			b.Queue(`UPDATE accounts SET balance = balance - $1 WHERE id = $2`, d, id)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	err = tx.SendBatch(ctx, &b).Close()
	if linkTaken(err) {
		// With several requests in the batch, run retries each alone, and
		// only the one with the taken code gets this.
		return fmt.Errorf("a short link code is taken: %w", openwaba.ErrConflict)
	}
	return err
}
