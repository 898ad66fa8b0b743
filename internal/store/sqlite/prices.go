package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/openwaba/openwaba"
)

// SetPrice creates or replaces one row of the price table.
func (s *Store) SetPrice(ctx context.Context, p openwaba.Price) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.now()
	}
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO prices (currency, prefix, category, amount, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (currency, prefix, category) DO UPDATE SET
				amount = excluded.amount, updated_at = excluded.updated_at`,
			p.Currency, p.Prefix, p.Category, p.Amount, ms(p.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("set price %s/%s/%s: %w", p.Currency, p.Prefix, p.Category, err)
	}
	return nil
}

// DeletePrice removes one row of the price table.
func (s *Store) DeletePrice(ctx context.Context, currency, prefix string, category openwaba.PriceCategory) error {
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return affectedOne(tx.ExecContext(ctx,
			`DELETE FROM prices WHERE currency = ? AND prefix = ? AND category = ?`, currency, prefix, category))
	})
	if err != nil {
		return fmt.Errorf("delete price %s/%s/%s: %w", currency, prefix, category, err)
	}
	return nil
}

// Prices lists the price table of currency, or all of it for "".
func (s *Store) Prices(ctx context.Context, currency string) ([]openwaba.Price, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT currency, prefix, category, amount, updated_at FROM prices
		WHERE ?1 = '' OR currency = ?1 ORDER BY currency, prefix, category`, currency)
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	defer rows.Close()
	var ps []openwaba.Price
	for rows.Next() {
		var p openwaba.Price
		var updated int64
		if err := rows.Scan(&p.Currency, &p.Prefix, &p.Category, &p.Amount, &updated); err != nil {
			return nil, fmt.Errorf("prices: %w", err)
		}
		p.UpdatedAt = fromMS(updated)
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	return ps, nil
}
