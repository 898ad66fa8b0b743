package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LeaseSenders renews owner's sender leases and takes at most one more
// sender with due messages that no other owner holds (or whose lease
// ended), in one write: two owners cannot both take a sender.
func (s *Store) LeaseSenders(ctx context.Context, owner string, now time.Time, ttl time.Duration) ([]string, error) {
	var held []string
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		until := ms(now.Add(ttl))
		if _, err := tx.ExecContext(ctx, `UPDATE sender_leases SET until = ? WHERE owner = ? AND until > ?`, until, owner, ms(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sender_leases (number, owner, until)
			SELECT q.sender, ?1, ?2 FROM dispatch_queue q
			WHERE max(q.due_at, q.lease_until) <= ?3
			AND NOT EXISTS (SELECT 1 FROM sender_leases l WHERE l.number = q.sender AND l.until > ?3)
			ORDER BY max(q.due_at, q.lease_until) LIMIT 1
			ON CONFLICT (number) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE sender_leases.until <= ?3`, owner, until, ms(now))
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT number FROM sender_leases WHERE owner = ? AND until > ? ORDER BY number`, owner, ms(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			held = append(held, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("lease senders for %s: %w", owner, err)
	}
	return held, nil
}

// ReleaseSenders ends owner's leases.
func (s *Store) ReleaseSenders(ctx context.Context, owner string) error {
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sender_leases WHERE owner = ?`, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("release senders of %s: %w", owner, err)
	}
	return nil
}
