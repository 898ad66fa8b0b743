// Package batch funnels write operations through one goroutine that runs as
// many of them as are waiting in a single transaction (group commit), each in
// its own savepoint. One commit, and so one fsync, then serves many callers:
// that is what makes synchronous=FULL (SQLite) or synchronous_commit=on
// (PostgreSQL) affordable on the accept path.
//
// The package knows nothing about a particular database: DB abstracts the
// four things it needs, and SQL adapts database/sql.
package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Do once Close has been called.
var ErrClosed = errors.New("batch: closed")

// DefaultMaxBatch is the batch size used when Options.MaxBatch is not set.
const DefaultMaxBatch = 256

// Op is one write operation. It runs inside a savepoint of a transaction it
// shares with other ops: its error rolls back only its own writes. An Op must
// not call Do (the writer would wait for itself).
type Op[T any] func(ctx context.Context, tx T) error

// DB is what the batcher needs from a database engine.
type DB[T any] interface {
	// Begin starts a write transaction.
	Begin(ctx context.Context) (T, error)
	// Exec runs a statement without arguments or results on tx. The
	// batcher uses it for SAVEPOINT, RELEASE and ROLLBACK TO, which
	// SQLite and PostgreSQL spell the same way.
	Exec(ctx context.Context, tx T, query string) error
	Commit(tx T) error
	Rollback(tx T) error
}

// Options configure a Batcher.
type Options struct {
	// MaxBatch is the most ops one transaction carries; DefaultMaxBatch
	// when zero.
	MaxBatch int
	// Logger receives failed commits; slog.Default() when nil.
	Logger *slog.Logger
	// Gather, when positive, is how long the writer may wait for more
	// ops before a transaction that would carry fewer than GatherBelow,
	// and only when the last commit ended less than Gather ago. Under a
	// steady stream of small writes a commit (its pages written to the
	// log, its fsync) then serves several instead of each its own; a
	// write that arrives at a writer idle for longer begins at once. It
	// adds at most Gather to a write's wait.
	Gather time.Duration
	// GatherBelow is the size from which a batch goes without waiting
	// (DefaultGatherBelow when zero).
	GatherBelow int
}

// DefaultGatherBelow is Options.GatherBelow when not set.
const DefaultGatherBelow = 8

// Batcher is the single writer. Create it with New and stop it with Close.
type Batcher[T any] struct {
	db          DB[T]
	max         int
	log         *slog.Logger
	gather      time.Duration
	gatherBelow int

	// mu guards closed and the close of reqs: Do holds it shared while it
	// sends, so Close (exclusive) never closes the channel under a sender.
	mu      sync.RWMutex
	closed  bool
	reqs    chan *request[T]
	stopped chan struct{}
}

// request states. A request moves from pending to either running (the
// writer took it) or abandoned (its caller gave up first), never both: the
// compare-and-swap on state decides the race between the two.
const (
	pending int32 = iota
	running
	abandoned
)

type request[T any] struct {
	ctx   context.Context
	op    Op[T]
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on a caller
}

// New starts the writer goroutine.
func New[T any](db DB[T], opts Options) *Batcher[T] {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.GatherBelow <= 0 {
		opts.GatherBelow = DefaultGatherBelow
	}
	b := &Batcher[T]{
		db:          db,
		max:         opts.MaxBatch,
		log:         opts.Logger,
		gather:      opts.Gather,
		gatherBelow: opts.GatherBelow,
		// The buffer lets callers queue up while a batch commits; they
		// form the next batch.
		reqs:    make(chan *request[T], opts.MaxBatch),
		stopped: make(chan struct{}),
	}
	go b.loop()
	return b
}

// Do runs op in the next batch and returns once that batch has committed (or
// op failed). A nil error means op's writes are durable.
//
// If ctx ends before op has started, op is skipped and Do returns ctx.Err().
// Once op has started, Do waits for the outcome whatever ctx does: the caller
// must learn whether its writes committed. op itself gets a context that
// carries ctx's values but not its cancellation, because interrupting a
// statement can abort the whole shared transaction (SQLite rolls it back).
func (b *Batcher[T]) Do(ctx context.Context, op Op[T]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request[T]{ctx: ctx, op: op, done: make(chan error, 1)}
	if err := b.enqueue(ctx, r); err != nil {
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

func (b *Batcher[T]) enqueue(ctx context.Context, r *request[T]) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	select {
	case b.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting ops, runs those already queued and waits for the
// writer to finish. It is safe to call more than once.
func (b *Batcher[T]) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.reqs)
	}
	b.mu.Unlock()
	<-b.stopped
	return nil
}

func (b *Batcher[T]) loop() {
	defer close(b.stopped)
	batch := make([]*request[T], 0, b.max)
	var lastCommit time.Time // when the last batch ended
	for r := range b.reqs {
		batch = append(batch[:0], r)
		batch = b.fill(batch, lastCommit)
		b.run(batch)
		lastCommit = time.Now()
		clear(batch) // let finished requests be collected
	}
}

// fill adds the requests waiting to batch. A batch smaller than
// gatherBelow that follows the last commit closely (the writer is busy)
// waits up to gather for more to arrive (Options.Gather).
func (b *Batcher[T]) fill(batch []*request[T], lastCommit time.Time) []*request[T] {
	var deadline <-chan time.Time
	if b.gather > 0 && time.Since(lastCommit) < b.gather {
		t := time.NewTimer(b.gather)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < b.max {
		select {
		case r, ok := <-b.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, r)
			continue
		default:
		}
		if deadline == nil || len(batch) >= b.gatherBelow {
			return batch
		}
		select {
		case r, ok := <-b.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		case <-deadline:
			return batch
		}
	}
	return batch
}

// run executes one batch. It claims every request that is still pending,
// runs each claimed op in a savepoint and commits once. Requests that could
// not run because the transaction broke underneath them are run again in a
// fresh transaction; ops that did run are never run twice, since an op may
// have changed state its caller reads.
func (b *Batcher[T]) run(batch []*request[T]) {
	live := make([]*request[T], 0, len(batch))
	for _, r := range batch {
		if r.state.CompareAndSwap(pending, running) {
			live = append(live, r)
		}
	}
	for len(live) > 0 {
		live = b.runTx(live)
	}
}

// runTx runs reqs in one transaction, replies to those that ran and returns
// those that did not get to run.
func (b *Batcher[T]) runTx(reqs []*request[T]) (notRun []*request[T]) {
	ctx := context.Background()
	tx, err := b.db.Begin(ctx)
	if err != nil {
		b.log.Error("batch: begin failed", "ops", len(reqs), "err", err)
		replyAll(reqs, fmt.Errorf("batch: begin: %w", err))
		return nil
	}

	errs := make([]error, len(reqs)) // each op's own error
	ok := 0
	for i, r := range reqs {
		opErr, txErr := b.apply(tx, r)
		if txErr != nil {
			// The transaction is unusable and nothing of it commits. The ops
			// that ran learn so; the rest go to a fresh transaction.
			b.log.Error("batch: transaction broken", "ops", i+1, "err", txErr)
			_ = b.db.Rollback(tx)
			txErr = fmt.Errorf("batch: %w", txErr)
			errs[i] = errors.Join(opErr, txErr)
			for j, r := range reqs[:i+1] {
				r.done <- cmp.Or(errs[j], txErr)
			}
			return reqs[i+1:]
		}
		errs[i] = opErr
		if opErr == nil {
			ok++
		}
	}

	var commitErr error
	if ok == 0 {
		// Nothing to keep: spare the commit (and its fsync).
		_ = b.db.Rollback(tx)
	} else if err := b.db.Commit(tx); err != nil {
		b.log.Error("batch: commit failed", "ops", len(reqs), "err", err)
		commitErr = fmt.Errorf("batch: commit: %w", err)
	}
	for i, r := range reqs {
		if errs[i] != nil {
			r.done <- errs[i]
		} else {
			r.done <- commitErr
		}
	}
	return nil
}

// apply runs r's op in a savepoint. opErr is the op's own failure (its
// writes are rolled back); txErr means the transaction itself is broken.
func (b *Batcher[T]) apply(tx T, r *request[T]) (opErr, txErr error) {
	ctx := context.WithoutCancel(r.ctx)
	if err := b.db.Exec(ctx, tx, "SAVEPOINT op"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	if opErr = call(ctx, tx, r.op); opErr != nil {
		if err := b.db.Exec(ctx, tx, "ROLLBACK TO SAVEPOINT op"); err != nil {
			return opErr, fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	// RELEASE after ROLLBACK TO too: ROLLBACK TO keeps the savepoint open,
	// and the next op opens its own.
	if err := b.db.Exec(ctx, tx, "RELEASE SAVEPOINT op"); err != nil {
		return opErr, fmt.Errorf("release savepoint: %w", err)
	}
	return opErr, nil
}

// call runs op and turns a panic into an error, so that one bad op cannot
// take the writer (and every other caller) down.
func call[T any](ctx context.Context, tx T, op Op[T]) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("batch: op panicked: %v", p)
		}
	}()
	return op(ctx, tx)
}

func replyAll[T any](reqs []*request[T], err error) {
	for _, r := range reqs {
		r.done <- err
	}
}
