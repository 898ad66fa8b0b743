package sqlstore

import (
	"context"
	"fmt"
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
	moves map[int64]*statusMove
	order []int64 // of moves, in the order of their first move
	// users are the recipients linked (recordRecipient), by message.
	users     map[int64]openwaba.User
	userOrder []int64
	// prices are the pricings reported (settleRead), by message.
	prices     map[int64]openwaba.Pricing
	priceOrder []int64
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
	mv, ok := w.moves[id]
	if !ok {
		if w.moves == nil {
			w.moves = map[int64]*statusMove{}
		}
		mv = &statusMove{}
		w.moves[id] = mv
		w.order = append(w.order, id)
	}
	mv.status, mv.at = status, at
	if code != 0 || text != "" {
		mv.setError, mv.code, mv.text = true, code, text
	}
}

// link records that message id's recipient is u now.
func (w *statusWrite) link(id int64, u openwaba.User) {
	if _, ok := w.users[id]; !ok {
		if w.users == nil {
			w.users = map[int64]openwaba.User{}
		}
		w.userOrder = append(w.userOrder, id)
	}
	w.users[id] = u
}

// price records that message id's pricing is p now, as the last report
// that gave one said: it is settled.
func (w *statusWrite) price(id int64, p openwaba.Pricing) {
	if _, ok := w.prices[id]; !ok {
		if w.prices == nil {
			w.prices = map[int64]openwaba.Pricing{}
		}
		w.priceOrder = append(w.priceOrder, id)
	}
	w.prices[id] = p
}

// flush writes the rows, moves, recipients and pricings, and enqueues
// the events of the rows the journal did not have, in the order they
// were added. w is empty after.
func (w *statusWrite) flush(ctx context.Context, tx *db) error {
	done := *w
	*w = statusWrite{}
	if err := flushMoves(ctx, tx, done.moves, done.order); err != nil {
		return err
	}
	if err := flushUsers(ctx, tx, done.users, done.userOrder); err != nil {
		return err
	}
	if err := flushPrices(ctx, tx, done.prices, done.priceOrder); err != nil {
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

// flushMoves writes the moves in one UPDATE.
func flushMoves(ctx context.Context, tx *db, moves map[int64]*statusMove, order []int64) error {
	err := updateEach(ctx, tx, statusMovesSQL(tx.d), order, func(l *rowList, id int64) {
		mv := moves[id]
		l.text(string(mv.status))
		l.int(int64(mv.status.Rank()))
		l.int(ms(mv.at))
		l.bool(!mv.setError)
		l.int(int64(mv.code))
		l.text(mv.text)
	})
	if err != nil {
		return fmt.Errorf("move %d messages' statuses: %w", len(order), err)
	}
	return nil
}

// flushUsers writes the messages' recipients in one UPDATE.
func flushUsers(ctx context.Context, tx *db, users map[int64]openwaba.User, order []int64) error {
	err := updateEach(ctx, tx, messageUsersSQL(tx.d), order, func(l *rowList, id int64) {
		u := users[id]
		l.text(u.WaID)
		l.text(u.UserID)
		l.text(u.ParentUserID)
		l.text(u.Username)
	})
	if err != nil {
		return fmt.Errorf("link %d messages' recipients: %w", len(order), err)
	}
	return nil
}

// flushPrices writes the messages' pricings in one UPDATE, and marks
// them settled.
func flushPrices(ctx context.Context, tx *db, prices map[int64]openwaba.Pricing, order []int64) error {
	err := updateEach(ctx, tx, messagePricesSQL(tx.d), order, func(l *rowList, id int64) {
		p := prices[id]
		l.bool(p.Billable)
		l.text(p.Model)
		l.text(p.Type)
		l.text(p.Category)
	})
	if err != nil {
		return fmt.Errorf("price %d messages: %w", len(order), err)
	}
	return nil
}

// messagePricesSQL sets the pricings of the messages of a JSON list of
// [id, billable, model, type, category].
func messagePricesSQL(d *dialect) string {
	return `UPDATE messages SET billable = v.billable, pricing_model = v.model, pricing_type = v.type,
			pricing_category = v.category, settled = TRUE
		FROM (SELECT ` + d.jsonField(0, "BIGINT") + ` AS id, ` + d.jsonField(1, "BOOLEAN") + ` AS billable, ` +
		d.jsonField(2, "TEXT") + ` AS model, ` + d.jsonField(3, "TEXT") + ` AS type, ` +
		d.jsonField(4, "TEXT") + ` AS category FROM ` + d.jsonRows("?") + `) AS v
		WHERE messages.id = v.id`
}

// updateEach runs update, a statement over a list argument, with a row
// per message of ids: the id, then what row appends. None without ids.
func updateEach(ctx context.Context, tx *db, update string, ids []int64, row func(l *rowList, id int64)) error {
	if len(ids) == 0 {
		return nil
	}
	var list rowList
	for _, id := range ids {
		list.row()
		list.int(id)
		row(&list, id)
	}
	_, err := tx.exec(ctx, update, list.String())
	return err
}

// messageUsersSQL sets the recipients of the messages of a JSON list of
// [id, wa_id, user_id, parent_user_id, username].
func messageUsersSQL(d *dialect) string {
	return `UPDATE messages SET user_wa_id = v.wa_id, user_id = v.user_id, parent_user_id = v.parent_user_id, username = v.username
		FROM (SELECT ` + d.jsonField(0, "BIGINT") + ` AS id, ` + d.jsonField(1, "TEXT") + ` AS wa_id, ` +
		d.jsonField(2, "TEXT") + ` AS user_id, ` + d.jsonField(3, "TEXT") + ` AS parent_user_id, ` +
		d.jsonField(4, "TEXT") + ` AS username FROM ` + d.jsonRows("?") + `) AS v
		WHERE messages.id = v.id`
}

// journalRowsSQL inserts the journal rows of a JSON list of
// [message_id, status, at, error_code, error_text], in its order, and
// returns those the journal did not have. (WHERE true: SQLite's parser
// takes the ON of an upsert after a bare FROM for a join's.)
func journalRowsSQL(d *dialect) string {
	return `INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		SELECT ` + d.jsonField(0, "BIGINT") + `, ` + d.jsonField(1, "TEXT") + `, ` + d.jsonField(2, "BIGINT") + `, ` +
		d.jsonField(3, "INTEGER") + `, ` + d.jsonField(4, "TEXT") + `
		FROM ` + d.jsonRows("?") + ` WHERE true ORDER BY ` + jsonRowIndex + `
		ON CONFLICT (message_id, status) DO NOTHING RETURNING message_id, status`
}

// statusMovesSQL moves the messages of a JSON list of [id, status, rank,
// at, keep error, error_code, error_text] (setStatusSet's columns).
func statusMovesSQL(d *dialect) string {
	return `UPDATE messages SET ` + setStatusSet("v.status", "v.status_rank", "v.at", "v.keep", "v.code", "v.text") + `
		FROM (SELECT ` + d.jsonField(0, "BIGINT") + ` AS id, ` + d.jsonField(1, "TEXT") + ` AS status, ` +
		d.jsonField(2, "SMALLINT") + ` AS status_rank, ` + d.jsonField(3, "BIGINT") + ` AS at, ` +
		d.jsonField(4, "BOOLEAN") + ` AS keep, ` + d.jsonField(5, "INTEGER") + ` AS code, ` +
		d.jsonField(6, "TEXT") + ` AS text FROM ` + d.jsonRows("?") + `) AS v
		WHERE messages.id = v.id AND messages.status_rank < v.status_rank`
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
