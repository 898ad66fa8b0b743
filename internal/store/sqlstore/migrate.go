package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// migrate applies the engine's embedded migrations that pool has not seen
// yet. On PostgreSQL it runs under the "migrations" session lock
// (exclusive), so that nodes starting at once take turns and each sees the
// schema the one before left; goose's own Postgres locker polls every few
// seconds, a plain advisory lock just waits.
func migrate(ctx context.Context, d *dialect, pool *sql.DB, log *slog.Logger) error {
	fsys, err := fs.Sub(migrations, d.migrations)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return exclusive(ctx, d, pool, "migrations", func(ctx context.Context) error {
		p, err := goose.NewProvider(d.goose, pool, fsys,
			// Only our embedded files, never Go migrations some other
			// package registered globally.
			goose.WithDisableGlobalRegistry(true),
		)
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		results, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		for _, r := range results {
			log.Info("migrated", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
		}
		return nil
	})
}

// Exclusive runs fn while holding the lock called name, so that of several
// nodes doing the same thing at once (bootstrapping an empty database) one
// goes at a time, and each sees what the one before did. On SQLite, which
// one process uses, it just runs fn.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	return exclusive(ctx, s.d, s.read.sql, name, fn)
}

// exclusive holds the dialect's session lock on a connection of its own
// until fn returns; fn uses the pool as usual.
func exclusive(ctx context.Context, d *dialect, pool *sql.DB, name string, fn func(ctx context.Context) error) (err error) {
	if d.sessionLock == "" {
		return fn(ctx)
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("exclusive %s: %w", name, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, d.rebind(d.sessionLock), name); err != nil {
		return fmt.Errorf("exclusive %s: taking the lock: %w", name, err)
	}
	defer func() {
		// A fresh context: the unlock must happen even if ctx ended, or the
		// pooled connection would keep the lock.
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), d.rebind(d.sessionUnlock), name); uerr != nil {
			// Closing the connection ends its session and the lock with it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("exclusive %s: releasing the lock: %w", name, uerr))
		}
	}()
	return fn(ctx)
}
