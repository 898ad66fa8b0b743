package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/openwaba/openwaba"
)

const templateColumns = `account_id, name, language, id, category, status, parameter_format, components, updated_at, quality, reason`

func scanTemplate(sc scanner) (openwaba.Template, error) {
	var t openwaba.Template
	var components []byte
	var updated int64
	if err := sc.Scan(&t.AccountID, &t.Name, &t.Language, &t.ID, &t.Category, &t.Status,
		&t.ParameterFormat, &components, &updated, &t.Quality, &t.Reason); err != nil {
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
// name and language the last wins. A template that comes without a reason
// keeps the one its webhook gave, as long as its status is the same: Meta's
// template list does not repeat why a template was paused or rejected.
func (s *Store) ReplaceTemplates(ctx context.Context, accountID int64, ts []openwaba.Template) error {
	now := s.now()
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		if err := s.lock(ctx, tx, templatesLock, strconv.FormatInt(accountID, 10)); err != nil {
			return err
		}
		old, err := all(ctx, tx, scanTemplate, `SELECT `+templateColumns+` FROM templates WHERE account_id = ?`, accountID)
		if err != nil {
			return err
		}
		reasons := map[[3]string]string{}
		for _, t := range old {
			reasons[[3]string{t.Name, t.Language, t.Status}] = t.Reason
		}
		if _, err := tx.exec(ctx, `DELETE FROM templates WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		for _, t := range ts {
			if t.UpdatedAt.IsZero() {
				t.UpdatedAt = now
			}
			if t.Reason == "" {
				t.Reason = reasons[[3]string{t.Name, t.Language, t.Status}]
			}
			if err := putTemplate(ctx, tx, accountID, t); err != nil {
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

// putTemplate writes t as a template of the account, over the one of the
// same name and language.
func putTemplate(ctx context.Context, tx *db, accountID int64, t openwaba.Template) error {
	components, err := json.Marshal(t.Components)
	if err != nil {
		return fmt.Errorf("template %s/%s: %w", t.Name, t.Language, err)
	}
	_, err = tx.exec(ctx, `
		INSERT INTO templates (`+templateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, name, language) DO UPDATE SET
			id = excluded.id, category = excluded.category, status = excluded.status,
			parameter_format = excluded.parameter_format, components = excluded.components,
			updated_at = excluded.updated_at, quality = excluded.quality, reason = excluded.reason`,
		accountID, t.Name, t.Language, t.ID, t.Category, t.Status, t.ParameterFormat, storedJSON(components),
		ms(t.UpdatedAt), openwaba.StoredText(t.Quality), openwaba.StoredText(t.Reason))
	return err
}

// PutTemplate stores t (a template created or edited through the API),
// under the account's templates lock, like a sync.
func (s *Store) PutTemplate(ctx context.Context, t openwaba.Template) error {
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = s.now()
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		if err := s.lock(ctx, tx, templatesLock, strconv.FormatInt(t.AccountID, 10)); err != nil {
			return err
		}
		early, err := takeEarlyTemplateReports(ctx, tx, t)
		if err != nil {
			return err
		}
		return s.sentinel(putTemplate(ctx, tx, t.AccountID, openwaba.EarlyTemplateReports(t, early)))
	})
	if err != nil {
		return fmt.Errorf("put template %s/%s: %w", t.Name, t.Language, err)
	}
	return nil
}

// DeleteTemplates removes the account's templates of name, in language or
// in all of them.
func (s *Store) DeleteTemplates(ctx context.Context, accountID int64, name, language string) (int, error) {
	var n int64
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		if err := s.lock(ctx, tx, templatesLock, strconv.FormatInt(accountID, 10)); err != nil {
			return err
		}
		var err error
		n, err = affected(tx.exec(ctx, `DELETE FROM templates WHERE account_id = ?1 AND name = ?2 AND (?3 = '' OR language = ?3)`,
			accountID, name, language))
		if err == nil && n == 0 {
			err = openwaba.ErrNotFound
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete template %s/%s: %w", name, language, err)
	}
	return int(n), nil
}

// ApplyTemplateReport applies Meta's report to the template it names, in
// every account with a sender of the report's WABA: found by Meta's id,
// or by name and language. The new template is openwaba.Template.Apply's;
// the SQL writes it and a template_status event in the same transaction,
// under the account's templates lock, so that a sync running at the same
// time replaces the templates before or after, never in between. An
// account that does not have the template (created since the last sync)
// gets the event all the same, and the template with its next sync.
func (s *Store) ApplyTemplateReport(ctx context.Context, r openwaba.TemplateReport) ([]openwaba.Template, error) {
	if r.At.IsZero() {
		r.At = s.now()
	}
	r.At = openwaba.TruncateMS(r.At)
	var changed []openwaba.Template
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		changed = nil
		type accountSenders struct {
			id      int64
			numbers []string
		}
		senders, err := all(ctx, tx, scanSender, `SELECT `+senderColumns+` FROM senders
			WHERE waba_id = ? AND waba_id <> '' ORDER BY account_id, number`+s.d.byteOrder, r.WABAID)
		if err != nil {
			return err
		}
		var accounts []accountSenders
		for _, sd := range senders {
			if len(accounts) == 0 || accounts[len(accounts)-1].id != sd.AccountID {
				accounts = append(accounts, accountSenders{id: sd.AccountID})
			}
			a := &accounts[len(accounts)-1]
			a.numbers = append(a.numbers, sd.Number)
		}
		for _, a := range accounts {
			if err := s.lock(ctx, tx, templatesLock, strconv.FormatInt(a.id, 10)); err != nil {
				return err
			}
			t, err := scanTemplate(tx.row(ctx, `SELECT `+templateColumns+` FROM templates
				WHERE account_id = ?1 AND ((?2 <> '' AND id = ?2) OR (name = ?3 AND language = ?4))
				ORDER BY CASE WHEN id = ?2 THEN 0 ELSE 1 END LIMIT 1`, a.id, r.ID, r.Name, r.Language))
			known := err == nil
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if !known {
				t = openwaba.Template{AccountID: a.id, ID: r.ID, Name: r.Name, Language: r.Language}
			}
			after := t.Apply(r)
			change := openwaba.TemplateChange{Report: r, Known: known, After: after.State()}
			if known {
				change.Before = t.State()
				if err := putTemplate(ctx, tx, a.id, after); err != nil {
					return err
				}
				changed = append(changed, after)
			} else if r.KeepsEarly() {
				if err := keepEarlyTemplateReport(ctx, tx, a.id, r, s.now()); err != nil {
					return err
				}
			}
			data, err := json.Marshal(change)
			if err != nil {
				return err
			}
			if err := enqueueAny(ctx, tx, a.id, a.numbers, []openwaba.HookEvent{openwaba.HookTemplateStatus}, event{
				OrderKey: openwaba.TemplateOrderKey(after.Name, after.Language), Data: data, CreatedAt: r.At,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply %s %s of template %s/%s: %w", r.Field, r.Event, r.Name, r.Language, err)
	}
	return changed, nil
}

// lock takes the dialect's transaction lock on (class, key), where the
// engine has concurrent writers.
func (s *Store) lock(ctx context.Context, tx *db, class int32, key string) error {
	return s.lockAll(ctx, tx, class, []string{key})
}

// lockAll is lock of each of keys, in their order (sorted by the caller:
// one order for every writer), in one statement; the keys the write holds
// already are left out.
func (s *Store) lockAll(ctx context.Context, tx *db, class int32, keys []string) error {
	if s.d.xactLock == "" {
		return nil
	}
	var take []string
	for _, k := range keys {
		if !tx.held[lockKey{class, k}] {
			take = append(take, k)
		}
	}
	var err error
	switch len(take) {
	case 0:
		return nil
	case 1:
		_, err = tx.exec(ctx, s.d.xactLock, class, take[0])
	default:
		_, err = tx.exec(ctx, s.d.xactLocks, class, take)
	}
	if err != nil {
		return err
	}
	if tx.held == nil {
		tx.held = map[lockKey]bool{}
	}
	for _, k := range take {
		tx.held[lockKey{class, k}] = true
	}
	return nil
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

// keepEarlyTemplateReport keeps r, about a template account does not have,
// for PutTemplate (openwaba.EarlyTemplateReports), and drops what was kept
// longer than openwaba.EarlyTemplateReportKeep.
func keepEarlyTemplateReport(ctx context.Context, tx *db, account int64, r openwaba.TemplateReport, now time.Time) error {
	if _, err := tx.exec(ctx, `DELETE FROM early_template_reports WHERE received_at < ?`,
		ms(now.Add(-openwaba.EarlyTemplateReportKeep))); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO early_template_reports (account_id, template_id, report, received_at) VALUES (?, ?, ?, ?)`,
		account, r.ID, storedJSON(b), ms(now))
	return err
}

// takeEarlyTemplateReports removes and returns, in the order they came,
// the reports kept for t.
func takeEarlyTemplateReports(ctx context.Context, tx *db, t openwaba.Template) ([]openwaba.TemplateReport, error) {
	if t.ID == "" {
		return nil, nil
	}
	type kept struct {
		seq    int64
		report openwaba.TemplateReport
	}
	rows, err := all(ctx, tx, func(sc scanner) (kept, error) {
		var k kept
		var data string
		if err := sc.Scan(&k.seq, &data); err != nil {
			return k, err
		}
		return k, json.Unmarshal([]byte(data), &k.report)
	}, `DELETE FROM early_template_reports WHERE account_id = ? AND template_id = ? RETURNING seq, report`, t.AccountID, t.ID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b kept) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]openwaba.TemplateReport, len(rows))
	for i, k := range rows {
		out[i] = k.report
	}
	return out, nil
}
