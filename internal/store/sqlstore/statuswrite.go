package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// statusWrite collects the journal rows, status moves, recipients and
// pricings of the reports one write applies, and writes them at its end
// (flush) in one statement per kind whatever their number: a group of
// status reports was two to four statements per report before, the most
// of the receive path's (docs/performance.md, "Status reports written
// together"). The reports are decided one after the other on the
// messages as read under their locks (applyStatus keeps each reported up
// to date), so what flush writes is what writing each at once would have.
type statusWrite struct {
	rows  []journalRow
	seen  map[journalKey]bool
	moves byMessage[statusMove]
	// users are the recipients linked (recordRecipient).
	users byMessage[openwaba.User]
	// prices are the pricings reported (settleRead).
	prices byMessage[openwaba.Pricing]
}

// byMessage is a value per message, in the order the messages came
// first: what one UPDATE over a list argument writes (flushEach).
type byMessage[T any] struct {
	vals map[int64]*T
	ids  []int64
}

// at is message id's value, a zero one added if it has none yet.
func (b *byMessage[T]) at(id int64) *T {
	if v, ok := b.vals[id]; ok {
		return v
	}
	if b.vals == nil {
		b.vals = map[int64]*T{}
	}
	v := new(T)
	b.vals[id] = v
	b.ids = append(b.ids, id)
	return v
}

// journalKey is a journal row's identity: a message has each status once.
type journalKey struct {
	id     int64
	status openwaba.Status
}

// journalRow is a status to journal, with what its webhook events need:
// owner gives the message's account and sender, called only for a row
// the journal did not have that makes events.
type journalRow struct {
	id     int64
	status openwaba.Status
	at     time.Time
	code   int
	text   string
	owner  func() (int64, string, error)
}

// statusMove is a message's status as the reports of the write left it:
// the last that moved it forward, with the last error one of them gave.
type statusMove struct {
	status   openwaba.Status
	at       time.Time
	setError bool
	code     int
	text     string
}

// journal adds a row; the first of a (message, status) counts, in the
// write as in the journal (journal's rule).
func (w *statusWrite) journal(r journalRow) {
	k := journalKey{r.id, r.status}
	if w.seen[k] {
		return
	}
	if w.seen == nil {
		w.seen = map[journalKey]bool{}
	}
	w.seen[k] = true
	w.rows = append(w.rows, r)
}

// move records that message id moves to status (the caller decided that
// status follows the message's: openwaba.Status.Follows by rank). A
// non-empty error replaces the message's last error (setStatus's rule).
func (w *statusWrite) move(id int64, status openwaba.Status, at time.Time, code int, text string) {
	mv := w.moves.at(id)
	mv.status, mv.at = status, at
	if code != 0 || text != "" {
		mv.setError, mv.code, mv.text = true, code, text
	}
}

// link records that message id's recipient is u now.
func (w *statusWrite) link(id int64, u openwaba.User) { *w.users.at(id) = u }

// price records that message id's pricing is p now, as the last report
// that gave one said: it is settled.
func (w *statusWrite) price(id int64, p openwaba.Pricing) { *w.prices.at(id) = p }

// flush writes the rows, moves, recipients and pricings, and enqueues
// the events of the rows the journal did not have, in the order they
// were added. w is empty after.
func (w *statusWrite) flush(ctx context.Context, tx *db) error {
	done := *w
	*w = statusWrite{}
	if err := flushEach(ctx, tx, "move the statuses", statusMovesSQL(tx.d), done.moves, func(l *rowList, mv *statusMove) {
		l.text(string(mv.status))
		l.int(int64(mv.status.Rank()))
		l.int(ms(mv.at))
		l.bool(!mv.setError)
		l.int(int64(mv.code))
		l.text(mv.text)
	}); err != nil {
		return err
	}
	if err := flushEach(ctx, tx, "link the recipients", messageUsersSQL(tx.d), done.users, func(l *rowList, u *openwaba.User) {
		l.text(u.WaID)
		l.text(u.UserID)
		l.text(u.ParentUserID)
		l.text(u.Username)
	}); err != nil {
		return err
	}
	if err := flushEach(ctx, tx, "price", messagePricesSQL(tx.d), done.prices, func(l *rowList, p *openwaba.Pricing) {
		l.bool(p.Billable)
		l.text(p.Model)
		l.text(p.Type)
		l.text(p.Category)
	}); err != nil {
		return err
	}
	if len(done.rows) == 0 {
		return nil
	}
	var list rowList
	for _, r := range done.rows {
		list.row()
		list.int(r.id)
		list.text(string(r.status))
		list.int(ms(r.at))
		list.int(int64(r.code))
		list.text(r.text)
	}
	added, err := all(ctx, tx, func(sc scanner) (journalKey, error) {
		var k journalKey
		err := sc.Scan(&k.id, &k.status)
		return k, err
	}, journalRowsSQL(tx.d), list.String())
	if err != nil {
		return fmt.Errorf("journal %d statuses: %w", len(done.rows), err)
	}
	isNew := make(map[journalKey]bool, len(added))
	for _, k := range added {
		isNew[k] = true
	}
	for _, r := range done.rows {
		events := r.status.HookEvents()
		if !isNew[journalKey{r.id, r.status}] || len(events) == 0 {
			continue
		}
		accountID, sender, err := r.owner()
		if err != nil {
			return err
		}
		if err := enqueue(ctx, tx, accountID, sender, events, event{
			OrderKey: openwaba.MessageOrderKey(r.id), MessageID: r.id,
			Status: r.status, StatusAt: r.at, ErrorCode: r.code, ErrorText: r.text, CreatedAt: r.at,
		}); err != nil {
			return err
		}
	}
	return nil
}

// flushEach writes b with update, a statement over a list argument: a
// row per message, its id, then what row appends of its value; what
// names the write in its error. Nothing when b is empty.
func flushEach[T any](ctx context.Context, tx *db, what, update string, b byMessage[T], row func(l *rowList, v *T)) error {
	if len(b.ids) == 0 {
		return nil
	}
	var list rowList
	for _, id := range b.ids {
		list.row()
		list.int(id)
		row(&list, b.vals[id])
	}
	if _, err := tx.exec(ctx, update, list.String()); err != nil {
		return fmt.Errorf("%s of %d messages: %w", what, len(b.ids), err)
	}
	return nil
}

// listCol is a column of a list argument's rows (dialect.jsonRows), as a
// statement names and types it.
type listCol struct{ name, typ string }

// listSelect reads cols, the values of a list argument's rows in their
// order, from the argument at the statement's one placeholder.
func listSelect(d *dialect, cols ...listCol) string {
	fields := make([]string, len(cols))
	for i, c := range cols {
		fields[i] = d.jsonField(i, c.typ) + ` AS ` + c.name
	}
	return `SELECT ` + strings.Join(fields, ", ") + ` FROM ` + d.jsonRows("?")
}

// updateMessages sets, by set, the messages of a list argument whose
// rows are a message's id and cols, named v; where narrows it further.
func updateMessages(d *dialect, set string, where string, cols ...listCol) string {
	return `UPDATE messages SET ` + set + `
		FROM (` + listSelect(d, append([]listCol{{"id", "BIGINT"}}, cols...)...) + `) AS v
		WHERE messages.id = v.id` + where
}

// statusMovesSQL moves the messages of a list of [id, status, rank, at,
// keep error, error_code, error_text] (setStatusSet's columns), forward
// only.
func statusMovesSQL(d *dialect) string {
	return updateMessages(d, setStatusSet("v.status", "v.status_rank", "v.at", "v.keep", "v.code", "v.text"),
		` AND messages.status_rank < v.status_rank`,
		listCol{"status", "TEXT"}, listCol{"status_rank", "SMALLINT"}, listCol{"at", "BIGINT"},
		listCol{"keep", "BOOLEAN"}, listCol{"code", "INTEGER"}, listCol{"text", "TEXT"})
}

// messageUsersSQL sets the recipients of the messages of a list of [id,
// wa_id, user_id, parent_user_id, username].
func messageUsersSQL(d *dialect) string {
	return updateMessages(d, `user_wa_id = v.wa_id, user_id = v.user_id, parent_user_id = v.parent_user_id, username = v.username`, ``,
		listCol{"wa_id", "TEXT"}, listCol{"user_id", "TEXT"}, listCol{"parent_user_id", "TEXT"}, listCol{"username", "TEXT"})
}

// messagePricesSQL sets the pricings of the messages of a list of [id,
// billable, model, type, category], and marks them settled.
func messagePricesSQL(d *dialect) string {
	return updateMessages(d, `billable = v.billable, pricing_model = v.model, pricing_type = v.type,
			pricing_category = v.category, settled = TRUE`, ``,
		listCol{"billable", "BOOLEAN"}, listCol{"model", "TEXT"}, listCol{"type", "TEXT"}, listCol{"category", "TEXT"})
}

// journalRowsSQL inserts the journal rows of a list of [message_id,
// status, at, error_code, error_text], in its order, and returns those
// the journal did not have. (WHERE true: SQLite's parser takes the ON of
// an upsert after a bare FROM for a join's.)
func journalRowsSQL(d *dialect) string {
	return `INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		` + listSelect(d, listCol{"message_id", "BIGINT"}, listCol{"status", "TEXT"}, listCol{"at", "BIGINT"},
		listCol{"error_code", "INTEGER"}, listCol{"error_text", "TEXT"}) + ` WHERE true ORDER BY ` + jsonRowIndex + `
		ON CONFLICT (message_id, status) DO NOTHING RETURNING message_id, status`
}

// setStatusSet is the SET clause of every status move, from the
// expressions of the new status, its rank and time, whether the
// message's last error stays, and the error otherwise: one rule for
// setStatusWhere and statusMovesSQL. The WHERE of each moves only
// forward (status_rank < the new rank).
func setStatusSet(status, rank, at, keep, code, text string) string {
	return `status = ` + status + `, status_rank = ` + rank + `, status_at = ` + at + `,
		error_code = CASE WHEN ` + keep + ` THEN error_code ELSE ` + code + ` END,
		error_text = CASE WHEN ` + keep + ` THEN error_text ELSE ` + text + ` END`
}
