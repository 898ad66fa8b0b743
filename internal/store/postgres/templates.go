package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

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

// templatesLockClass is the first key of the advisory lock that
// serialises ReplaceTemplates per account (the second is the account id).
const templatesLockClass = 0x0a3a1e

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
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// Two nodes syncing at once would otherwise each delete the rows
		// they can see and insert theirs, and leave a mix of both sets.
		// Truncating the id to 32 bits only makes accounts share a lock.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`,
			int32(templatesLockClass), int32(accountID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM templates WHERE account_id = $1`, accountID); err != nil {
			return err
		}
		for _, r := range rows {
			_, err := tx.Exec(ctx, `
				INSERT INTO templates (`+templateColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (account_id, name, language) DO UPDATE SET
					id = excluded.id, category = excluded.category, status = excluded.status,
					parameter_format = excluded.parameter_format, components = excluded.components,
					updated_at = excluded.updated_at`, r...)
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
	t, err := scanTemplate(s.pool.QueryRow(ctx,
		`SELECT `+templateColumns+` FROM templates WHERE account_id = $1 AND name = $2 AND language = $3`,
		accountID, name, language))
	if err != nil {
		return openwaba.Template{}, fmt.Errorf("template %s/%s: %w", name, language, notFound(err))
	}
	return t, nil
}

// Templates lists the account's templates by name and language.
func (s *Store) Templates(ctx context.Context, accountID int64) ([]openwaba.Template, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+templateColumns+` FROM templates WHERE account_id = $1 ORDER BY name, language`, accountID)
	if err != nil {
		return nil, fmt.Errorf("templates of account %d: %w", accountID, err)
	}
	ts, err := collect(rows, scanTemplate)
	if err != nil {
		return nil, fmt.Errorf("templates of account %d: %w", accountID, err)
	}
	return ts, nil
}
