package sqlstore

import (
	"context"
	"fmt"

	"github.com/openwaba/openwaba"
)

// SetPrice creates or replaces one row of the price table.
func (s *Store) SetPrice(ctx context.Context, p openwaba.Price) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.now()
	}
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		_, err := tx.exec(ctx, `
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
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx,
			`DELETE FROM prices WHERE currency = ? AND prefix = ? AND category = ?`, currency, prefix, category))
	})
	if err != nil {
		return fmt.Errorf("delete price %s/%s/%s: %w", currency, prefix, category, err)
	}
	return nil
}

// Prices lists the price table of currency, or all of it for "", in byte
// order on both engines.
func (s *Store) Prices(ctx context.Context, currency string) ([]openwaba.Price, error) {
	ps, err := all(ctx, s.read, func(sc scanner) (openwaba.Price, error) {
		var p openwaba.Price
		var updated int64
		err := sc.Scan(&p.Currency, &p.Prefix, &p.Category, &p.Amount, &updated)
		p.UpdatedAt = fromMS(updated)
		return p, err
	}, `SELECT currency, prefix, category, amount, updated_at FROM prices
		WHERE ?1 = '' OR currency = ?1
		ORDER BY currency`+s.d.byteOrder+`, prefix`+s.d.byteOrder+`, category`+s.d.byteOrder, currency)
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	return ps, nil
}
