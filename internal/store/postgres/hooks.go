package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

const hookColumns = `id, account_id, target_url, event_type, request_method, event_filter, headers, created_at`

func scanHook(sc scanner) (openwaba.Hook, error) {
	var h openwaba.Hook
	var created int64
	err := sc.Scan(&h.ID, &h.AccountID, &h.TargetURL, &h.EventType, &h.RequestMethod, &h.EventFilter, &h.Headers, &created)
	h.CreatedAt = fromMS(created)
	return h, err
}

// CreateHook stores a webhook subscription; an unknown account is
// ErrNotFound.
func (s *Store) CreateHook(ctx context.Context, h openwaba.Hook) (openwaba.Hook, error) {
	if h.CreatedAt.IsZero() {
		h.CreatedAt = s.now()
	}
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO hooks (account_id, target_url, event_type, request_method, event_filter, headers, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			h.AccountID, h.TargetURL, h.EventType, h.RequestMethod, h.EventFilter, h.Headers, ms(h.CreatedAt)).Scan(&h.ID)
		if isForeignKey(err) {
			return openwaba.ErrNotFound
		}
		return err
	})
	if err != nil {
		return openwaba.Hook{}, fmt.Errorf("create hook: %w", err)
	}
	h.CreatedAt = fromMS(ms(h.CreatedAt))
	return h, nil
}

// Hooks lists the account's hooks, oldest first.
func (s *Store) Hooks(ctx context.Context, accountID int64) ([]openwaba.Hook, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+hookColumns+` FROM hooks WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	hooks, err := collect(rows, scanHook)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	return hooks, nil
}

// DeleteHook removes the account's hook id; its outbox rows go with it
// (ON DELETE CASCADE), so a deliverer holding one finds it gone.
func (s *Store) DeleteHook(ctx context.Context, accountID, id int64) error {
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, `DELETE FROM hooks WHERE id = $1 AND account_id = $2`, id, accountID))
	})
	if err != nil && !errors.Is(err, openwaba.ErrNotFound) {
		return fmt.Errorf("delete hook %d: %w", id, err)
	}
	return err
}
