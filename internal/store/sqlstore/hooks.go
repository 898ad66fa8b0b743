package sqlstore

import (
	"context"
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
	h.CreatedAt = openwaba.TruncateMS(h.CreatedAt)
	h.TargetURL, h.Headers = openwaba.StoredText(h.TargetURL), openwaba.StoredText(h.Headers)
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return s.sentinel(tx.row(ctx, `
			INSERT INTO hooks (account_id, target_url, event_type, request_method, event_filter, headers, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			h.AccountID, h.TargetURL, h.EventType, h.RequestMethod, h.EventFilter, h.Headers, ms(h.CreatedAt)).Scan(&h.ID))
	})
	if err != nil {
		return openwaba.Hook{}, fmt.Errorf("create hook: %w", err)
	}
	return h, nil
}

// Hooks lists the account's hooks, oldest first.
func (s *Store) Hooks(ctx context.Context, accountID int64) ([]openwaba.Hook, error) {
	hooks, err := all(ctx, s.read, scanHook, `SELECT `+hookColumns+` FROM hooks WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	return hooks, nil
}

// DeleteHook removes the account's hook id; its outbox rows go with it.
func (s *Store) DeleteHook(ctx context.Context, accountID, id int64) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `DELETE FROM hooks WHERE id = ? AND account_id = ?`, id, accountID))
	})
	if err != nil {
		return fmt.Errorf("delete hook %d: %w", id, err)
	}
	return nil
}
