// Package postgres implements openwaba.Store on PostgreSQL (pgx, pgxpool).
//
// Several gateway processes may share the database. Correctness between
// them comes from the SQL alone: conditional updates and locks of the
// balance, row locks taken in one order (queue row before message row),
// SELECT ... FOR UPDATE SKIP LOCKED for claims, and transaction-scoped
// advisory locks where no row exists yet to lock (a wamid whose status
// report arrives before the wamid is stored).
//
// Most writes are one short transaction each on a pooled connection;
// PostgreSQL flushes the WAL of concurrent commits together. Accept is the
// exception: requests of one account all wait for its balance row, so one
// goroutine commits the Accepts waiting at that moment together (group
// commit, accept.go), as the SQLite store does for every write.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openwaba/openwaba"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Now stamps rows whose time the caller did not give (created_at and
	// the like); time.Now when nil.
	Now func() time.Time
	// MaxConns caps the connection pool. When zero: pool_max_conns from
	// the URL, else defaultMaxConns.
	MaxConns int32
	// WriteTimeout bounds one write transaction, retries included; 30s when
	// zero. Writes do not follow the caller's cancellation (see write).
	WriteTimeout time.Duration
}

// Store is the PostgreSQL openwaba.Store.
type Store struct {
	pool         *pgxpool.Pool
	log          *slog.Logger
	now          func() time.Time
	writeTimeout time.Duration
	accepter     *accepter
}

var _ openwaba.Store = (*Store)(nil)

// Open connects to the database at url (postgres://...), brings its schema
// up to date under an advisory lock, so that several nodes may start at
// once, and returns the store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 30 * time.Second
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error may quote the URL, password included: say less.
		return nil, errors.New("open postgres: invalid database URL")
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = defaultMaxConns()
	}
	log := opts.Logger.With("component", "store", "db", cfg.ConnConfig.Host+"/"+cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := migrate(ctx, pool, log); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{
		pool:         pool,
		log:          log,
		now:          func() time.Time { return opts.Now().UTC() },
		writeTimeout: opts.WriteTimeout,
	}
	s.accepter = newAccepter(s)
	return s, nil
}

// defaultMaxConns sizes the pool for a gateway rather than pgxpool's
// default of one connection per CPU: a write spends most of its time
// waiting for the commit's WAL flush, not on a CPU, and requests,
// dispatcher and webhooks all write at once. Concurrent commits share
// flushes, so more of them in flight means more throughput.
func defaultMaxConns() int32 {
	return int32(max(16, 4*runtime.GOMAXPROCS(0)))
}

// Close commits the accepts already queued, then closes the pool once the
// connections in use are given back. Calls made after Close fail; Close
// itself may be repeated.
func (s *Store) Close() error {
	s.accepter.close()
	s.pool.Close()
	return nil
}

// maxAttempts is how often write runs an op that PostgreSQL aborted as a
// deadlock victim or serialization failure. Lock order is fixed (queue row
// before message row), so these are rare; retrying is what PostgreSQL asks
// of clients for them.
const maxAttempts = 5

// write runs op in one transaction and commits it, retrying deadlocks and
// serialization failures. op may run more than once and must start from
// scratch each time.
//
// Like the SQLite store's writer, a write that has started is not
// interrupted by the caller's cancellation: a client that hangs up must
// not leave it unknown whether its message was stored. WriteTimeout bounds
// it instead.
func (s *Store) write(ctx context.Context, op func(ctx context.Context, tx pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.writeTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return op(ctx, tx) })
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		s.log.Debug("retrying write", "attempt", attempt, "err", err)
	}
}

// retryable reports whether PostgreSQL aborted the transaction for a
// conflict with another one, so that running it again may succeed.
func retryable(err error) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	switch pg.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}
