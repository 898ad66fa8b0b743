package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://...), brings its schema up to date under an advisory lock, so
// that several nodes may start at once, and returns the store.
func OpenPostgres(ctx context.Context, url string, opts Options) (*Store, error) {
	opts.defaults()
	// pgxpool's parser, for its pool_* parameters, which the server must
	// not see; the pool itself is database/sql's.
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error may quote the URL, password included: say less.
		return nil, errors.New("open postgres: invalid database URL")
	}
	maxConns := defaultMaxConns()
	switch {
	case opts.MaxConns > 0:
		maxConns = opts.MaxConns
	case strings.Contains(url, "pool_max_conns"):
		maxConns = cfg.MaxConns
	}
	log := opts.Logger.With("component", "store", "db", cfg.ConnConfig.Host+"/"+cfg.ConnConfig.Database)
	pool := stdlib.OpenDB(*cfg.ConnConfig)
	pool.SetMaxOpenConns(int(maxConns))
	pool.SetMaxIdleConns(int(maxConns))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	d := &postgresDialect
	if err := migrate(ctx, d, pool, log); err != nil {
		pool.Close()
		return nil, err
	}
	p := newDB(pool, d)
	s := &Store{d: d, read: p, log: log, now: utcNow(opts.Now)}
	s.writes = retrying{w: direct{w: p, timeout: opts.WriteTimeout}, d: d, log: log}
	// A group of accepts (batch.Group, see Accept) is already one write:
	// a transaction of its own, like any other.
	s.accepts = s.writes
	s.closers = []func() error{pool.Close}
	return s.start(), nil
}

// defaultMaxConns sizes the pool for a gateway rather than one connection
// per CPU: a write spends most of its time waiting for the commit's WAL
// flush, not on a CPU, and requests, dispatcher and webhooks all write at
// once. Concurrent commits share flushes, so more of them in flight means
// more throughput.
func defaultMaxConns() int32 {
	return int32(max(16, 4*runtime.GOMAXPROCS(0)))
}
