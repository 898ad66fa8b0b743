package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

// journal records that message id reached status. A status the journal
// already has for the message is not recorded again: WhatsApp repeats
// webhooks it thinks were not received, and the first report is the one
// that counts.
//
// A status recorded for the first time also puts its webhook deliveries in
// the outbox, in the same transaction: a status is never reported twice,
// and never lost.
func journal(ctx context.Context, tx pgx.Tx, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	tag, err := tx.Exec(ctx, `
		INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id, status) DO NOTHING`,
		id, status, ms(at), code, text)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	return enqueueStatus(ctx, tx, id, status, at, code, text)
}

// setStatus moves message id to status if that is forward (by rank) and
// reports whether it did. A non-empty error replaces the message's last
// error; an empty one leaves it.
func setStatus(ctx context.Context, tx pgx.Tx, id int64, status openwaba.Status, at time.Time, code int, text string) (bool, error) {
	keepError := code == 0 && text == ""
	tag, err := tx.Exec(ctx, `
		UPDATE messages SET status = $1, status_rank = $2, status_at = $3,
			error_code = CASE WHEN $4 THEN error_code ELSE $5 END,
			error_text = CASE WHEN $4 THEN error_text ELSE $6 END
		WHERE id = $7 AND status_rank < $2`,
		status, status.Rank(), ms(at), keepError, code, text, id)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// refund gives message id's price back, unless it was refunded before: the
// refunded flag, flipped in the same statement that checks it (under the
// row lock), makes every path (cancel, fail, a failed report) refund at
// most once together.
func refund(ctx context.Context, tx pgx.Tx, id int64, at time.Time) error {
	var accountID int64
	var price openwaba.Micros
	err := tx.QueryRow(ctx, `
		UPDATE messages SET refunded = true WHERE id = $1 AND NOT refunded AND price > 0
		RETURNING account_id, price`, id).Scan(&accountID, &price)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // free, or refunded already
	}
	if err != nil {
		return err
	}
	_, err = credit(ctx, tx, accountID, price, openwaba.ReasonRefund, id, at)
	return err
}

// end takes a message that never reached WhatsApp out of the queue, ends it
// with status (failed, expired or deleted) and refunds it. The caller holds
// the queue row's lock.
func end(ctx context.Context, tx pgx.Tx, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM dispatch_queue WHERE message_id = $1`, id); err != nil {
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

// earlyStatusKeep is how long a status report for an unknown wamid waits
// for its message. Meta may report a status before the dispatcher has
// stored the wamid its send call returned; a report for a wamid that is
// still unknown after a day is not ours.
const earlyStatusKeep = 24 * time.Hour

// wamidLockClass is the first key of the advisory locks on wamids (the
// second is the wamid's hash); it keeps them apart from other advisory
// locks of the database.
const wamidLockClass = 0x0a3a1d

// lockWAMID serialises, until the transaction ends, everything that
// touches wamid: ApplyStatus and MarkSubmitted. Without it a report could
// look for its message just before MarkSubmitted commits the wamid, and be
// set aside just after MarkSubmitted looked for reports set aside: then it
// would wait in early_statuses forever. There is no row to lock before the
// wamid is stored, hence an advisory lock. A hash collision only makes two
// wamids wait for each other.
func lockWAMID(ctx context.Context, tx pgx.Tx, wamid string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(wamidLockClass), wamid)
	return err
}

// ApplyStatus records a status report for the message with u.WAMID. A
// report for a wamid the store does not know yet is kept aside and applied
// when MarkSubmitted stores that wamid: (false, nil). The journal gets every
// status once; the message moves only forward; a failed report for a
// message that never reached sent is refunded.
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
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		changed = false
		if err := lockWAMID(ctx, tx, u.WAMID); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRow(ctx,
			`SELECT id FROM messages WHERE wamid = $1 ORDER BY id DESC LIMIT 1`, u.WAMID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
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
func applyStatus(ctx context.Context, tx pgx.Tx, id int64, u openwaba.StatusUpdate, now time.Time) (bool, error) {
	if err := journal(ctx, tx, id, u.Status, u.At, u.ErrorCode, u.ErrorText); err != nil {
		return false, err
	}
	code, text := 0, ""
	if u.Status == openwaba.StatusFailed {
		code, text = u.ErrorCode, u.ErrorText
	}
	changed, err := setStatus(ctx, tx, id, u.Status, u.At, code, text)
	if err != nil || u.Status != openwaba.StatusFailed {
		return changed, err
	}
	var reached bool
	err = tx.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM message_statuses
		WHERE message_id = $1 AND status IN ('sent', 'delivered', 'read'))`, id).Scan(&reached)
	if err != nil || reached {
		return changed, err
	}
	return changed, refund(ctx, tx, id, now)
}

// keepEarly sets aside a report for a wamid no message has yet, and drops
// the reports that waited in vain for longer than earlyStatusKeep.
func keepEarly(ctx context.Context, tx pgx.Tx, u openwaba.StatusUpdate, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM early_statuses WHERE received_at < $1`,
		ms(now.Add(-earlyStatusKeep))); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO early_statuses (wamid, status, at, error_code, error_text, received_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (wamid, status) DO NOTHING`,
		u.WAMID, u.Status, ms(u.At), u.ErrorCode, u.ErrorText, ms(now))
	return err
}

// applyEarly applies the reports that arrived for wamid before message id
// had it, and removes them. The caller holds the wamid's lock.
func applyEarly(ctx context.Context, tx pgx.Tx, id int64, wamid string, now time.Time) error {
	rows, err := tx.Query(ctx, `
		DELETE FROM early_statuses WHERE wamid = $1
		RETURNING status, at, error_code, error_text`, wamid)
	if err != nil {
		return err
	}
	early, err := collect(rows, func(sc scanner) (openwaba.StatusUpdate, error) {
		u := openwaba.StatusUpdate{WAMID: wamid}
		var at int64
		err := sc.Scan(&u.Status, &at, &u.ErrorCode, &u.ErrorText)
		u.At = time.UnixMilli(at).UTC()
		return u, err
	})
	if err != nil {
		return err
	}
	for _, u := range early {
		if _, err := applyStatus(ctx, tx, id, u, now); err != nil {
			return err
		}
	}
	return nil
}
