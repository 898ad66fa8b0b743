package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/openwaba/openwaba/internal/store/batch"
)

// Pragmas every SQLite connection gets. synchronous=FULL: an accepted
// message must survive a power cut once the API said 200; group commit
// keeps that cheap. journal_mode is persistent and set by the writer only.
var sqlitePragmas = []string{
	"busy_timeout(10000)",
	"foreign_keys(1)",
	"synchronous(FULL)",
	"temp_store(MEMORY)",
	"cache_size(-32000)", // 32 MB per connection
}

// OpenSQLite opens (creating if needed) the SQLite database file at path,
// brings its schema up to date and starts the writer.
func OpenSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	opts.defaults()
	log := opts.Logger.With("component", "store", "db", path)
	d := &sqliteDialect

	write, err := sql.Open("sqlite", sqliteDSN(path, append(sqlitePragmas, "journal_mode(WAL)"), "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection writes: SQLite has one writer anyway. The second only
	// prepares statements while the first holds a batch (see db.stmt); it
	// never begins a transaction while the first has one, because the
	// batcher begins one at a time.
	write.SetMaxOpenConns(2)
	write.SetMaxIdleConns(2)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := migrate(ctx, d, write, log); err != nil {
		write.Close()
		return nil, err
	}

	// Opened after the writer switched the file to WAL, which is persistent.
	read, err := sql.Open("sqlite", sqliteDSN(path, append(sqlitePragmas, "query_only(1)")))
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

	w := newDB(write, d)
	b := batch.New[*sql.Tx](batch.SQL{DB: write}, batch.Options{MaxBatch: opts.MaxBatch, Logger: log, Gather: opts.CommitGather})
	s := &Store{d: d, read: newDB(read, d), log: log, now: utcNow(opts.Now)}
	s.writes = batched{b: b, w: w}
	s.accepts = s.writes
	s.closers = []func() error{
		b.Close,
		func() error {
			// Cheap, and run at close it keeps the planner's statistics
			// current for the next start (SQLite's advice).
			if _, err := write.Exec("PRAGMA optimize"); err != nil {
				log.Debug("pragma optimize", "err", err)
			}
			w.closeStmts()
			s.read.closeStmts()
			return nil
		},
		write.Close,
		read.Close,
	}
	return s.start(), nil
}

func sqliteDSN(path string, pragmas []string, extra ...string) string {
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
