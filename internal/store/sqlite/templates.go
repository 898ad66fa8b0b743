package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/openwaba/openwaba"
)

const templateColumns = `account_id, name, language, id, category, status, parameter_format, components, updated_at`

func scanTemplate(sc scanner) (openwaba.Template, error) {
	var t openwaba.Template
	var components []byte
	var updated int64
	if err := sc.Scan(&t.AccountID, &t.Name, &t.Language, &t.ID, &t.Category, &t.Status,
		&t.ParameterFormat, &components, &updated); err != nil {
		return openwaba.Template{}, err
	}
	if err := json.Unmarshal(components, &t.Components); err != nil {
		return openwaba.Template{}, fmt.Errorf("components of template %s/%s: %w", t.Name, t.Language, err)
	}
	t.UpdatedAt = fromMS(updated)
	return t, nil
}

// ReplaceTemplates makes ts the account's templates in one step: readers see
// the old set or the new one, never a mix. Of two templates with the same
// name and language the last wins.
func (s *Store) ReplaceTemplates(ctx context.Context, accountID int64, ts []openwaba.Template) error {
	now := s.now()
	rows := make([][]any, len(ts))
	for i, t := range ts {
		components, err := json.Marshal(t.Components)
		if err != nil {
			return fmt.Errorf("template %s/%s: %w", t.Name, t.Language, err)
		}
		if t.UpdatedAt.IsZero() {
			t.UpdatedAt = now
		}
		rows[i] = []any{accountID, t.Name, t.Language, t.ID, t.Category, t.Status,
			t.ParameterFormat, string(components), ms(t.UpdatedAt)}
	}
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM templates WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		for _, r := range rows {
			_, err := tx.ExecContext(ctx, `
				INSERT OR REPLACE INTO templates (`+templateColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r...)
			if isForeignKey(err) {
				return openwaba.ErrNotFound
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace templates of account %d: %w", accountID, err)
	}
	return nil
}

// Template finds one of the account's templates.
func (s *Store) Template(ctx context.Context, accountID int64, name, language string) (openwaba.Template, error) {
	t, err := scanTemplate(s.read.QueryRowContext(ctx,
		`SELECT `+templateColumns+` FROM templates WHERE account_id = ? AND name = ? AND language = ?`,
		accountID, name, language))
	if err != nil {
		return openwaba.Template{}, fmt.Errorf("template %s/%s: %w", name, language, notFound(err))
	}
	return t, nil
}

// Templates lists the account's templates by name and language.
func (s *Store) Templates(ctx context.Context, accountID int64) ([]openwaba.Template, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+templateColumns+` FROM templates WHERE account_id = ? ORDER BY name, language`, accountID)
	if err != nil {
		return nil, fmt.Errorf("templates of account %d: %w", accountID, err)
	}
	defer rows.Close()
	var ts []openwaba.Template
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("templates of account %d: %w", accountID, err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("templates of account %d: %w", accountID, err)
	}
	return ts, nil
}
