package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO hooks (account_id, target_url, event_type, request_method, event_filter, headers, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
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
	rows, err := s.read.QueryContext(ctx, `SELECT `+hookColumns+` FROM hooks WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	defer rows.Close()
	var hooks []openwaba.Hook
	for rows.Next() {
		h, err := scanHook(rows)
		if err != nil {
			return nil, fmt.Errorf("list hooks: %w", err)
		}
		hooks = append(hooks, h)
	}
	return hooks, rows.Err()
}

// DeleteHook removes the account's hook id; its outbox rows go with it.
func (s *Store) DeleteHook(ctx context.Context, accountID, id int64) error {
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hooks WHERE id = ? AND account_id = ?`, id, accountID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return openwaba.ErrNotFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, openwaba.ErrNotFound) {
		return fmt.Errorf("delete hook %d: %w", id, err)
	}
	return err
}
