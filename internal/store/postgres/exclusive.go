package postgres

import (
	"context"
	"errors"
	"fmt"
)

// Exclusive runs fn while holding the advisory lock called name, so that
// of several nodes doing the same thing at once (bootstrapping an empty
// database) one goes at a time, and each sees what the one before did. The
// lock belongs to a connection of its own, held until fn returns; fn uses
// the store as usual.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("exclusive %s: %w", name, err)
	}
	defer conn.Release()
	// With the schema in the key, as for migrations: stores in different
	// schemas of one database do not wait for each other.
	const key = `hashtextextended('openwaba exclusive ' || $1 || ' ' || current_schema(), 0)`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+key+`)`, name); err != nil {
		return fmt.Errorf("exclusive %s: taking the lock: %w", name, err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`, name); uerr != nil {
			// Closing the connection ends its session and the lock with it.
			conn.Conn().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("exclusive %s: releasing the lock: %w", name, uerr))
		}
	}()
	return fn(ctx)
}
