package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

// journal records that message id reached status. A status the journal
// already has for the message is not recorded again: WhatsApp repeats
// webhooks it thinks were not received, and the first report is the one
// that counts.
func journal(ctx context.Context, tx *sql.Tx, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, status) DO NOTHING`,
		id, status, ms(at), code, text)
	return err
}

// setStatus moves message id to status if that is forward (by rank) and
// reports whether it did. A non-empty error replaces the message's last
// error; an empty one leaves it.
func setStatus(ctx context.Context, tx *sql.Tx, id int64, status openwaba.Status, at time.Time, code int, text string) (bool, error) {
	keepError := code == 0 && text == ""
	res, err := tx.ExecContext(ctx, `
		UPDATE messages SET status = ?1, status_rank = ?2, status_at = ?3,
			error_code = CASE WHEN ?4 THEN error_code ELSE ?5 END,
			error_text = CASE WHEN ?4 THEN error_text ELSE ?6 END
		WHERE id = ?7 AND status_rank < ?2`,
		status, status.Rank(), ms(at), keepError, code, text, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// refund gives message id's price back, unless it was refunded before: the
// refunded flag, flipped in the same statement that checks it, makes every
// path (cancel, fail, a failed report) refund at most once together.
func refund(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	var accountID int64
	var price openwaba.Micros
	err := tx.QueryRowContext(ctx, `
		UPDATE messages SET refunded = 1 WHERE id = ? AND refunded = 0 AND price > 0
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

// end takes a message that never reached WhatsApp out of the queue, ends it
// with status (failed, expired or deleted) and refunds it.
func end(ctx context.Context, tx *sql.Tx, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM dispatch_queue WHERE message_id = ?`, id); err != nil {
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

// ApplyStatus records a status report for the message with u.WAMID. A
// report for a wamid the store does not know (yet) is ignored: (false, nil).
// The journal gets every status once; the message moves only forward; a
// failed report for a message that never reached sent is refunded.
func (s *Store) ApplyStatus(ctx context.Context, u openwaba.StatusUpdate) (bool, error) {
	if !u.Status.Valid() {
		return false, fmt.Errorf("apply status %q to %s: invalid status", u.Status, u.WAMID)
	}
	if u.WAMID == "" {
		return false, nil
	}
	now := s.now()
	at := u.At
	if at.IsZero() {
		at = now
	}
	var changed bool
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx,
			`SELECT id FROM messages WHERE wamid = ? ORDER BY id DESC LIMIT 1`, u.WAMID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := journal(ctx, tx, id, u.Status, at, u.ErrorCode, u.ErrorText); err != nil {
			return err
		}
		code, text := 0, ""
		if u.Status == openwaba.StatusFailed {
			code, text = u.ErrorCode, u.ErrorText
		}
		if changed, err = setStatus(ctx, tx, id, u.Status, at, code, text); err != nil {
			return err
		}
		if u.Status != openwaba.StatusFailed {
			return nil
		}
		var reached bool
		err = tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM message_statuses
			WHERE message_id = ? AND status IN ('sent', 'delivered', 'read'))`, id).Scan(&reached)
		if err != nil || reached {
			return err
		}
		return refund(ctx, tx, id, now)
	})
	if err != nil {
		return false, fmt.Errorf("apply status %s to %s: %w", u.Status, u.WAMID, err)
	}
	return changed, nil
}
