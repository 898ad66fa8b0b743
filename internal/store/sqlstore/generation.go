package sqlstore

import (
	"context"
	"fmt"
)

// Generation returns the counter of changes to what a gateway may keep in
// memory (openwaba.Store.Generation).
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var n int64
	if err := s.read.row(ctx, `SELECT n FROM generation WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("generation: %w", err)
	}
	return n, nil
}

// bumpGeneration moves the counter in the transaction that changes a key,
// an account's settings, a sender, a template, a price or a free rule, so
// that every process reading the counter sees the change with it.
func bumpGeneration(ctx context.Context, tx *db) error {
	_, err := tx.exec(ctx, `UPDATE generation SET n = n + 1 WHERE id = 1`)
	return err
}

// writeCached is write for the rows gateways keep in memory: fn's changes
// and the generation move in one transaction.
func (s *Store) writeCached(ctx context.Context, fn func(ctx context.Context, tx *db) error) error {
	return s.write(ctx, func(ctx context.Context, tx *db) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return bumpGeneration(ctx, tx)
	})
}
