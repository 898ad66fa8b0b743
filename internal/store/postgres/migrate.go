package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLockKey is hashed with the schema name into the advisory lock
// that serialises migrations: nodes starting at once on one schema wait
// for each other, stores in different schemas (the tests) do not.
const migrateLockKey = "openwaba migrations "

// migrate applies the embedded migrations the database has not seen yet.
//
// goose's own Postgres session locker polls pg_try_advisory_lock every few
// seconds; pg_advisory_lock simply waits, so a second node starts as soon
// as the first has migrated. The lock belongs to one dedicated connection,
// held for the whole run; goose works on others.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (err error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	const lockKey = `hashtextextended($1 || current_schema(), 0)`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate: taking the lock: %w", err)
	}
	defer func() {
		// A fresh context: the unlock must happen even if ctx ended, or
		// the pooled connection would keep the lock.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lockKey+`)`, migrateLockKey); uerr != nil {
			// Closing the connection ends its session and the lock with it.
			conn.Conn().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("migrate: releasing the lock: %w", uerr))
		}
	}()

	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		// Only our embedded files, never Go migrations some other package
		// registered globally.
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
}
