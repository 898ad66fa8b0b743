package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

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

// templatesLock is the class of the transaction locks that serialise
// ReplaceTemplates per account (the key is the account id): two nodes
// syncing at once would otherwise each delete the rows they can see and
// insert theirs, and leave a mix of both sets.
const templatesLock = 0x0a3a1e

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
			t.ParameterFormat, storedJSON(components), ms(t.UpdatedAt)}
	}
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if err := s.lock(ctx, tx, templatesLock, strconv.FormatInt(accountID, 10)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM templates WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		for _, r := range rows {
			_, err := tx.exec(ctx, `
				INSERT INTO templates (`+templateColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (account_id, name, language) DO UPDATE SET
					id = excluded.id, category = excluded.category, status = excluded.status,
					parameter_format = excluded.parameter_format, components = excluded.components,
					updated_at = excluded.updated_at`, r...)
			if err != nil {
				return s.sentinel(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace templates of account %d: %w", accountID, err)
	}
	return nil
}

// lock takes the dialect's transaction lock on (class, key), where the
// engine has concurrent writers.
func (s *Store) lock(ctx context.Context, tx *db, class int32, key string) error {
	if s.d.xactLock == "" {
		return nil
	}
	_, err := tx.exec(ctx, s.d.xactLock, class, key)
	return err
}

// Template finds one of the account's templates.
func (s *Store) Template(ctx context.Context, accountID int64, name, language string) (openwaba.Template, error) {
	t, err := scanTemplate(s.read.row(ctx,
		`SELECT `+templateColumns+` FROM templates WHERE account_id = ? AND name = ? AND language = ?`,
		accountID, name, language))
	if err != nil {
		return openwaba.Template{}, fmt.Errorf("template %s/%s: %w", name, language, notFound(err))
	}
	return t, nil
}

// Templates lists the account's templates by name and language.
func (s *Store) Templates(ctx context.Context, accountID int64) ([]openwaba.Template, error) {
	ts, err := all(ctx, s.read, scanTemplate,
		`SELECT `+templateColumns+` FROM templates WHERE account_id = ? ORDER BY name`+s.d.byteOrder+`, language`+s.d.byteOrder, accountID)
	if err != nil {
		return nil, fmt.Errorf("templates of account %d: %w", accountID, err)
	}
	return ts, nil
}
