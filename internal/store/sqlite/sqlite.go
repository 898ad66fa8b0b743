// Package sqlite implements openwaba.Store on one SQLite database file.
//
// Reads go to a pool of read-only connections; in WAL mode each sees a
// consistent snapshot and none waits for the writer. Every write goes
// through one goroutine (internal/store/batch) that commits all writes
// waiting at that moment in one transaction, so synchronous=FULL costs one
// fsync per batch rather than per request.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/batch"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Now stamps rows whose time the caller did not give (created_at and
	// the like); time.Now when nil.
	Now func() time.Time
	// MaxBatch is the most writes one transaction carries; 256 when zero.
	MaxBatch int
}

// Store is the SQLite openwaba.Store.
type Store struct {
	read   *sql.DB
	write  *sql.DB
	writer *batch.Batcher[*sql.Tx]
	log    *slog.Logger
	now    func() time.Time

	closeOnce sync.Once
	closeErr  error
}

var _ openwaba.Store = (*Store)(nil)

// Pragmas every connection gets. synchronous=FULL: an accepted message must
// survive a power cut once the API said 200; group commit keeps that cheap.
// journal_mode is persistent and set by the writer only.
var commonPragmas = []string{
	"busy_timeout(10000)",
	"foreign_keys(1)",
	"synchronous(FULL)",
	"temp_store(MEMORY)",
	"cache_size(-32000)", // 32 MB per connection
}

// Open opens (creating if needed) the database file at path, brings its
// schema up to date and starts the writer.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger.With("component", "store", "db", path)

	write, err := sql.Open("sqlite", dsn(path, append(commonPragmas, "journal_mode(WAL)"), "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a second connection
	// would only wait on the lock (or fail with SQLITE_BUSY).
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := migrate(ctx, write, log); err != nil {
		write.Close()
		return nil, err
	}

	// Opened after the writer switched the file to WAL, which is persistent.
	read, err := sql.Open("sqlite", dsn(path, append(commonPragmas, "query_only(1)")))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}

	s := &Store{
		read:  read,
		write: write,
		log:   log,
		now:   func() time.Time { return opts.Now().UTC() },
	}
	s.writer = batch.New[*sql.Tx](batch.SQL{DB: write}, batch.Options{MaxBatch: opts.MaxBatch, Logger: log})
	return s, nil
}

func dsn(path string, pragmas []string, extra ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	s := "file:" + path + "?" + q.Encode()
	for _, e := range extra {
		s += "&" + e
	}
	return s
}

// Close waits for the writes already queued to commit, then closes the
// database. Calls made after Close fail; Close itself may be repeated.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		err := s.writer.Close()
		// Cheap, and run at close it keeps the planner's statistics current
		// for the next start (SQLite's advice for long-lived connections).
		if _, oerr := s.write.Exec("PRAGMA optimize"); oerr != nil {
			s.log.Debug("pragma optimize", "err", oerr)
		}
		s.closeErr = errors.Join(err, s.write.Close(), s.read.Close())
	})
	return s.closeErr
}

// do runs op through the group-committing writer. It returns once op's
// writes are durable, or op's own error (then nothing of op was written).
func (s *Store) do(ctx context.Context, op func(ctx context.Context, tx *sql.Tx) error) error {
	return s.writer.Do(ctx, op)
}
