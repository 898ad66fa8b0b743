package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LeaseSenders renews owner's sender leases and takes at most one more
// sender with due messages that no other owner holds (or whose lease
// ended). The conditional upsert makes two nodes that race for a sender
// end with one owner: the second's update finds the lease live and does
// nothing.
func (s *Store) LeaseSenders(ctx context.Context, owner string, now time.Time, ttl time.Duration) ([]string, error) {
	var held []string
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		until := ms(now.Add(ttl))
		if _, err := tx.Exec(ctx, `UPDATE sender_leases SET until = $1 WHERE owner = $2 AND until > $3`, until, owner, ms(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO sender_leases (number, owner, until)
			SELECT q.sender, $1, $2 FROM dispatch_queue q
			WHERE GREATEST(q.due_at, q.lease_until) <= $3
			AND NOT EXISTS (SELECT 1 FROM sender_leases l WHERE l.number = q.sender AND l.until > $3)
			ORDER BY GREATEST(q.due_at, q.lease_until) LIMIT 1
			ON CONFLICT (number) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE sender_leases.until <= $3`, owner, until, ms(now))
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT number FROM sender_leases WHERE owner = $1 AND until > $2 ORDER BY number`, owner, ms(now))
		if err != nil {
			return err
		}
		held, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lease senders for %s: %w", owner, err)
	}
	return held, nil
}

// ReleaseSenders ends owner's leases.
func (s *Store) ReleaseSenders(ctx context.Context, owner string) error {
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM sender_leases WHERE owner = $1`, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("release senders of %s: %w", owner, err)
	}
	return nil
}
