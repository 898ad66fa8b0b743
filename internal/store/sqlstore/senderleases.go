package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// LeaseSenders renews owner's sender leases and takes at most one more
// sender with due messages that no other owner holds (or whose lease
// ended). The conditional upsert makes two owners that race for a sender
// end with one: the second's update finds the lease live and does nothing.
func (s *Store) LeaseSenders(ctx context.Context, owner string, now time.Time, ttl time.Duration) ([]string, error) {
	due := s.d.greatest + `(q.due_at, q.lease_until)`
	var held []string
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		until := ms(now.Add(ttl))
		if _, err := tx.exec(ctx, `UPDATE sender_leases SET until = ? WHERE owner = ? AND until > ?`, until, owner, ms(now)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `
			INSERT INTO sender_leases (number, owner, until)
			SELECT q.sender, ?1, ?2 FROM dispatch_queue q
			WHERE `+due+` <= ?3
			AND NOT EXISTS (SELECT 1 FROM sender_leases l WHERE l.number = q.sender AND l.until > ?3)
			ORDER BY `+due+` LIMIT 1
			ON CONFLICT (number) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE sender_leases.until <= ?3`, owner, until, ms(now))
		if err != nil {
			return err
		}
		held, err = all(ctx, tx, scanValue[string],
			`SELECT number FROM sender_leases WHERE owner = ? AND until > ? ORDER BY number`+s.d.byteOrder, owner, ms(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lease senders for %s: %w", owner, err)
	}
	return held, nil
}

// ReleaseSenders ends owner's leases.
func (s *Store) ReleaseSenders(ctx context.Context, owner string) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		_, err := tx.exec(ctx, `DELETE FROM sender_leases WHERE owner = ?`, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("release senders of %s: %w", owner, err)
	}
	return nil
}
