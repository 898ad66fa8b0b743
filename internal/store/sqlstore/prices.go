package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/pricing"
)

// SetPrice creates or replaces one row of the price table.
func (s *Store) SetPrice(ctx context.Context, p openwaba.Price) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.now()
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
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
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
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

// listPrice is what a message of category c to recipient costs the
// account by the price table (pricing.Match, the built-in prices when no
// row matches), read in the transaction that settles it.
func listPrice(ctx context.Context, tx *db, accountID int64, c openwaba.PriceCategory, recipient string) (openwaba.Micros, error) {
	var currency string
	if err := tx.row(ctx, `SELECT currency FROM accounts WHERE id = ?`, accountID).Scan(&currency); err != nil {
		return 0, notFound(err)
	}
	rows, err := all(ctx, tx, func(sc scanner) (openwaba.Price, error) {
		p := openwaba.Price{Currency: currency, Category: c}
		return p, sc.Scan(&p.Prefix, &p.Amount)
	}, `SELECT prefix, amount FROM prices WHERE currency = ? AND category = ?`, currency, c)
	if err != nil {
		return 0, err
	}
	return pricing.Lookup(rows, pricing.Default(), c, recipient)
}

// FreeRules lists the rules that make messages free, by category, window
// state and date.
func (s *Store) FreeRules(ctx context.Context) ([]openwaba.FreeRule, error) {
	rs, err := all(ctx, s.read, func(sc scanner) (openwaba.FreeRule, error) {
		var r openwaba.FreeRule
		var from, updated int64
		err := sc.Scan(&r.Category, &r.Window, &r.Free, &from, &r.Note, &updated)
		r.EffectiveFrom, r.UpdatedAt = fromMS(from), fromMS(updated)
		return r, err
	}, `SELECT category, window_state, free, effective_from, note, updated_at FROM free_rules
		ORDER BY category`+s.d.byteOrder+`, window_state`+s.d.byteOrder+`, effective_from`)
	if err != nil {
		return nil, fmt.Errorf("free rules: %w", err)
	}
	return rs, nil
}

// SetFreeRule creates or replaces the rule (category, window, date).
func (s *Store) SetFreeRule(ctx context.Context, r openwaba.FreeRule) error {
	if !r.Window.Valid() || r.EffectiveFrom.IsZero() {
		return fmt.Errorf("set free rule %s/%s: window or date missing", r.Category, r.Window)
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.now()
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		_, err := tx.exec(ctx, `
			INSERT INTO free_rules (category, window_state, free, effective_from, note, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (category, window_state, effective_from) DO UPDATE SET
				free = excluded.free, note = excluded.note, updated_at = excluded.updated_at`,
			r.Category, r.Window, r.Free, ms(r.EffectiveFrom), openwaba.StoredText(r.Note), ms(r.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("set free rule %s/%s/%s: %w", r.Category, r.Window, r.EffectiveFrom.Format(time.DateOnly), err)
	}
	return nil
}

// DeleteFreeRule removes one rule.
func (s *Store) DeleteFreeRule(ctx context.Context, c openwaba.PriceCategory, w openwaba.WindowState, effectiveFrom time.Time) error {
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx,
			`DELETE FROM free_rules WHERE category = ? AND window_state = ? AND effective_from = ?`, c, w, ms(effectiveFrom)))
	})
	if err != nil {
		return fmt.Errorf("delete free rule %s/%s/%s: %w", c, w, effectiveFrom.Format(time.DateOnly), err)
	}
	return nil
}
