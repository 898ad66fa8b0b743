// Package sqlstore implements openwaba.Store once, over database/sql, for
// both engines: SQLite (modernc, the embedded default) and PostgreSQL
// (pgx through its database/sql adapter, for several gateway nodes).
//
// The rules (what may follow what, when to refund, which hooks hear of an
// event, the balance check, message defaults) are plain Go in the root
// package (rules.go); the store asks them and its SQL only writes the
// answer. What the engines spell differently is named in dialect.go.
//
// How writes run differs by engine, for the same reason on both: one
// commit should serve many requests.
//   - SQLite has one writer. Every write goes through one goroutine
//     (internal/store/batch) that commits all writes waiting at that moment
//     in one transaction, each in its savepoint, so synchronous=FULL costs
//     one fsync per batch. Reads go to a pool of read-only connections; in
//     WAL mode each sees a consistent snapshot and none waits for the writer.
//   - PostgreSQL has many writers, on several nodes. Most writes are one
//     short transaction each; correctness between them comes from the SQL:
//     conditional updates, row locks taken in one order (queue row before
//     message row), SELECT ... FOR UPDATE SKIP LOCKED for claims, and
//     transaction-scoped advisory locks where no row exists yet to lock.
//     Accepts of one account all wait for its balance row until the commit's
//     WAL flush, so they are written in groups (batch.Group): the accepts
//     waiting at one moment are one transaction of a few statements.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/batch"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Now stamps rows whose time the caller did not give (created_at and
	// the like); time.Now when nil.
	Now func() time.Time
	// MaxBatch is the most writes one group commit carries; 256 when zero.
	MaxBatch int
	// MaxConns caps PostgreSQL's connection pool. When zero:
	// pool_max_conns from the URL, else max(16, 4 × GOMAXPROCS).
	MaxConns int32
	// WriteTimeout bounds one PostgreSQL write transaction, retries
	// included; 30s when zero.
	WriteTimeout time.Duration
	// CommitGather is how long SQLite's writer, busy, may wait for more
	// writes to share a commit (batch.Options.Gather); none when zero. It
	// trades latency for CPU: docs/performance.md.
	CommitGather time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
}

// Store is the openwaba.Store of both engines.
type Store struct {
	d    *dialect
	read *db // reads: SQLite's read-only pool, or PostgreSQL's pool
	// writes run every write but Accept; accepts runs Accept. On SQLite
	// both are the single writer.
	writes, accepts writer
	acceptGroup     *batch.Group[*acceptReq]
	doneGroup       *batch.Group[int64] // DeliveryDone
	statusGroup     *batch.Group[*statusReq]
	submitGroup     *batch.Group[submitReq] // MarkSubmitted
	log             *slog.Logger
	now             func() time.Time

	closeOnce sync.Once
	closeErr  error
	closers   []func() error // run by Close, in order
}

var _ openwaba.Store = (*Store)(nil)

// Engine names the store's engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.d.name }

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.d.name, err)
	}
	return nil
}

// Close waits for the writes already queued to commit, then closes the
// database. Calls made after Close fail; Close itself may be repeated.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, c := range s.closers {
			errs = append(errs, c())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// op is one write: it runs in a transaction (on SQLite, a savepoint of the
// batch's) and may run again from scratch if the engine asks for a retry.
type op func(ctx context.Context, tx *db) error

// writer runs write ops and returns once they are durable, or with the
// op's own error (then nothing of the op was written).
type writer interface {
	do(ctx context.Context, fn op) error
}

// batched runs ops through the group-committing batcher.
type batched struct {
	b *batch.Batcher[*sql.Tx]
	w *db // the writing pool; its statement cache serves the batch's tx
}

func (w batched) do(ctx context.Context, fn op) error {
	return w.b.Do(ctx, func(ctx context.Context, tx *sql.Tx) error { return fn(ctx, w.w.in(tx)) })
}

// maxAttempts is how often a write runs that the engine aborted as a
// deadlock victim or serialization failure. Lock order is fixed, so these
// are rare; retrying is what PostgreSQL asks of clients for them.
const maxAttempts = 5

// retrying wraps a writer: a write the engine aborted for a conflict with
// another transaction runs again.
type retrying struct {
	w   writer
	d   *dialect
	log *slog.Logger
}

func (r retrying) do(ctx context.Context, fn op) error {
	for attempt := 1; ; attempt++ {
		err := r.w.do(ctx, fn)
		if err == nil || attempt == maxAttempts || r.d.classify(err) != errRetry {
			return err
		}
		r.log.Debug("retrying write", "attempt", attempt, "err", err)
	}
}

// direct runs each op in a transaction of its own on a pool.
//
// Like the batcher, a write that has started is not interrupted by the
// caller's cancellation: a client that hangs up must not leave it unknown
// whether its message was stored. timeout bounds it instead.
type direct struct {
	w       *db
	timeout time.Duration
}

func (w direct) do(ctx context.Context, fn op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.timeout)
	defer cancel()
	tx, err := w.w.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(ctx, w.w.in(tx)); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// start finishes a store the engine's Open made.
func (s *Store) start() *Store {
	s.acceptGroup = batch.NewGroup(s.flushAccepts)
	s.doneGroup = batch.NewGroup(s.flushDone)
	s.statusGroup = batch.NewGroup(s.flushStatuses)
	s.submitGroup = batch.NewGroup(s.flushSubmitted)
	return s
}

// GroupSizes reads how large the store's groups of writes have been
// (batch.Group.Sizes), by group: accept, status, submit (MarkSubmitted)
// and delivered (DeliveryDone). The metrics serve them.
func (s *Store) GroupSizes() map[string]batch.Sizes {
	return map[string]batch.Sizes{
		"accept":    s.acceptGroup.Sizes(),
		"status":    s.statusGroup.Sizes(),
		"submit":    s.submitGroup.Sizes(),
		"delivered": s.doneGroup.Sizes(),
	}
}

// write runs fn as one write.
func (s *Store) write(ctx context.Context, fn op) error { return s.writes.do(ctx, fn) }
