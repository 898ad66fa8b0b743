package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openwaba/openwaba"
)

// journal records that message id reached status. A status the journal
// already has for the message is not recorded again: WhatsApp repeats
// webhooks it thinks were not received, and the first report is the one
// that counts.
//
// A status recorded for the first time also puts its webhook deliveries in
// the outbox, in the same transaction: a status is never reported twice,
// and never lost. Every path that journals comes through here.
func journal(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	n, err := affected(tx.exec(ctx, `
		INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, status) DO NOTHING`,
		id, status, ms(at), code, text))
	if err != nil || n == 0 {
		return err
	}
	events := status.HookEvents()
	if len(events) == 0 {
		return nil
	}
	var accountID int64
	var sender string
	if err := tx.row(ctx, `SELECT account_id, sender FROM messages WHERE id = ?`, id).Scan(&accountID, &sender); err != nil {
		return err
	}
	return enqueue(ctx, tx, accountID, sender, events, event{
		OrderKey: openwaba.MessageOrderKey(id), MessageID: id,
		Status: status, StatusAt: at, ErrorCode: code, ErrorText: text, CreatedAt: at,
	})
}

// setStatus moves message id to status if status follows the message's
// (openwaba.Status.Follows, applied in the WHERE by rank) and reports
// whether it did. A non-empty error replaces the message's last error; an
// empty one leaves it.
func setStatus(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) (bool, error) {
	keepError := code == 0 && text == ""
	n, err := affected(tx.exec(ctx, `
		UPDATE messages SET status = ?1, status_rank = ?2, status_at = ?3,
			error_code = CASE WHEN ?4 THEN error_code ELSE ?5 END,
			error_text = CASE WHEN ?4 THEN error_text ELSE ?6 END
		WHERE id = ?7 AND status_rank < ?2`,
		status, status.Rank(), ms(at), keepError, code, text, id))
	return n > 0, err
}

// refund gives message id's price back, unless it was refunded before: the
// refunded flag, flipped in the same statement that checks it (under the
// row's lock), makes every path (cancel, fail, a failed report) refund at
// most once together.
func refund(ctx context.Context, tx *db, id int64, at time.Time) error {
	var accountID int64
	var price openwaba.Micros
	err := tx.row(ctx, `
		UPDATE messages SET refunded = TRUE WHERE id = ? AND NOT refunded AND price > 0
		RETURNING account_id, price`, id).Scan(&accountID, &price)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // free, or refunded already
	}
	if err != nil {
		return err
	}
	_, err = credit(ctx, tx, accountID, price, openwaba.ReasonRefund, id, at)
	return err
}

// end takes a message that never reached WhatsApp out of the queue and ends
// it with status, one that openwaba.Status.Ends: journal, webhooks, refund.
// The caller holds the queue row's lock.
func end(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	if !status.Ends() {
		return fmt.Errorf("status %q does not end a message", status)
	}
	if _, err := tx.exec(ctx, `DELETE FROM dispatch_queue WHERE message_id = ?`, id); err != nil {
		return err
	}
	if _, err := setStatus(ctx, tx, id, status, at, code, text); err != nil {
		return err
	}
	if err := journal(ctx, tx, id, status, at, code, text); err != nil {
		return err
	}
	return refund(ctx, tx, id, at)
}

// wamidLock is the class of the transaction locks on wamids. It serialises
// everything that touches one wamid, ApplyStatus and MarkSubmitted, where
// writers run concurrently. Without it a report could look for its message
// just before MarkSubmitted commits the wamid, and be set aside just after
// MarkSubmitted looked for reports set aside: then it would wait in
// early_statuses forever. There is no row to lock before the wamid is
// stored, hence this lock.
const wamidLock = 0x0a3a1d

// ApplyStatus records a status report for the message with u.WAMID. A
// report for a wamid the store does not know yet is kept aside and applied
// when MarkSubmitted stores that wamid: (false, nil). The journal gets every
// status once; the message moves only forward; a failed or paused report
// for a message that never reached WhatsApp is refunded
// (openwaba.RefundOnReport).
func (s *Store) ApplyStatus(ctx context.Context, u openwaba.StatusUpdate) (bool, error) {
	if !u.Status.Valid() {
		return false, fmt.Errorf("apply status %q to %s: invalid status", u.Status, u.WAMID)
	}
	if u.WAMID == "" {
		return false, nil
	}
	now := s.now()
	if u.At.IsZero() {
		u.At = now
	}
	var changed bool
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		changed = false
		if err := s.lock(ctx, tx, wamidLock, u.WAMID); err != nil {
			return err
		}
		var id int64
		err := tx.row(ctx, `SELECT id FROM messages WHERE wamid = ? ORDER BY id DESC LIMIT 1`, u.WAMID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return keepEarly(ctx, tx, u, now)
		}
		if err != nil {
			return err
		}
		changed, err = applyStatus(ctx, tx, id, u, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("apply status %s to %s: %w", u.Status, u.WAMID, err)
	}
	return changed, nil
}

// applyStatus records u for message id.
func applyStatus(ctx context.Context, tx *db, id int64, u openwaba.StatusUpdate, now time.Time) (bool, error) {
	if err := journal(ctx, tx, id, u.Status, u.At, u.ErrorCode, u.ErrorText); err != nil {
		return false, err
	}
	code, text := 0, ""
	if u.Status == openwaba.StatusFailed || u.Status == openwaba.StatusPaused {
		code, text = u.ErrorCode, u.ErrorText
	}
	changed, err := setStatus(ctx, tx, id, u.Status, u.At, code, text)
	if err != nil || !openwaba.RefundOnReport(u.Status, false) {
		return changed, err // no report of this status is ever refunded
	}
	reached, err := reachedWhatsApp(ctx, tx, id)
	if err != nil || !openwaba.RefundOnReport(u.Status, reached) {
		return changed, err
	}
	return changed, refund(ctx, tx, id, now)
}

// reachedWhatsApp reports whether message id's journal has a status for
// which openwaba.Status.ReachedWhatsApp holds.
func reachedWhatsApp(ctx context.Context, tx *db, id int64) (bool, error) {
	var names []string
	for _, st := range openwaba.ReachedWhatsAppStatuses() {
		names = append(names, string(st))
	}
	statuses, err := tx.d.listArg(names)
	if err != nil {
		return false, err
	}
	var n int
	err = tx.row(ctx, `SELECT count(*) FROM message_statuses WHERE message_id = ? AND status `+tx.d.in("?"),
		id, statuses).Scan(&n)
	return n > 0, err
}

// keepEarly sets aside a report for a wamid no message has yet, and drops
// the reports that waited in vain for longer than openwaba.EarlyStatusKeep.
func keepEarly(ctx context.Context, tx *db, u openwaba.StatusUpdate, now time.Time) error {
	if _, err := tx.exec(ctx, `DELETE FROM early_statuses WHERE received_at < ?`,
		ms(now.Add(-openwaba.EarlyStatusKeep))); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `
		INSERT INTO early_statuses (wamid, status, at, error_code, error_text, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (wamid, status) DO NOTHING`,
		u.WAMID, u.Status, ms(u.At), u.ErrorCode, u.ErrorText, ms(now))
	return err
}

// applyEarly applies the reports that arrived for wamid before message id
// had it, and removes them. They are applied in the order of their
// ranks, the order in which a message lives them (held, sent, delivered,
// read), so that the journal and the webhooks tell it so: their times do
// not order them, Meta's being whole seconds and the dispatcher's (for a
// status of the send answer) milliseconds. The caller holds the wamid's
// lock.
func applyEarly(ctx context.Context, tx *db, id int64, wamid string, now time.Time) error {
	early, err := all(ctx, tx, func(sc scanner) (openwaba.StatusUpdate, error) {
		u := openwaba.StatusUpdate{WAMID: wamid}
		var at int64
		err := sc.Scan(&u.Status, &at, &u.ErrorCode, &u.ErrorText)
		u.At = fromMS(at)
		return u, err
	}, `DELETE FROM early_statuses WHERE wamid = ? RETURNING status, at, error_code, error_text`, wamid)
	if err != nil {
		return err
	}
	slices.SortStableFunc(early, func(a, b openwaba.StatusUpdate) int { return a.Status.Rank() - b.Status.Rank() })
	for _, u := range early {
		if _, err := applyStatus(ctx, tx, id, u, now); err != nil {
			return err
		}
	}
	return nil
}
