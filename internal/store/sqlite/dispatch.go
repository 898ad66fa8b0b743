package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// ClaimDue leases up to limit queued messages that are due at now and not
// leased, oldest due first. It runs as one write op, and the single writer
// runs ops one after the other, so two claimers can never lease the same
// row while its lease holds. A scheduled message becomes queued when it is
// claimed.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]openwaba.Message, error) {
	return s.claimDue(ctx, now, lease, limit, nil)
}

// ClaimDueFor is ClaimDue for the messages of senders only.
func (s *Store) ClaimDueFor(ctx context.Context, now time.Time, lease time.Duration, limit int, senders []string) ([]openwaba.Message, error) {
	if len(senders) == 0 {
		return nil, nil
	}
	return s.claimDue(ctx, now, lease, limit, senders)
}

// claimDue claims for the given senders, or for all when senders is nil.
func (s *Store) claimDue(ctx context.Context, now time.Time, lease time.Duration, limit int, senders []string) ([]openwaba.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	filter := sql.NullString{}
	if senders != nil {
		b, err := json.Marshal(senders)
		if err != nil {
			return nil, err
		}
		filter = sql.NullString{String: string(b), Valid: true}
	}
	var msgs []openwaba.Message
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ids, err := leaseDue(ctx, tx, now, lease, limit, filter)
		if err != nil || len(ids) == 0 {
			return err
		}
		in, args := inList(ids)
		_, err = tx.ExecContext(ctx, `UPDATE messages SET attempts = attempts + 1 WHERE id IN `+in, args...)
		if err != nil {
			return err
		}
		if err := promote(ctx, tx, in, args, now); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT `+messageColumns+` FROM messages m JOIN dispatch_queue q ON q.message_id = m.id
			WHERE m.id IN `+in+` ORDER BY q.due_at, m.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim due messages: %w", err)
	}
	return msgs, nil
}

// leaseDueQuery leases the claimable rows (?2 = now) up to ?3 until ?1,
// of the senders in the JSON array ?4 (all when NULL).
// The inner SELECT walks the dispatch_queue_claimable index from its start
// and stops after ?3 rows: its cost does not grow with the number of
// messages scheduled for later (TestQueuePlansUseIndex).
const leaseDueQuery = `
	UPDATE dispatch_queue SET lease_until = ?1, attempts = attempts + 1
	WHERE message_id IN (
		SELECT message_id FROM dispatch_queue
		WHERE max(due_at, lease_until) <= ?2
		AND (?4 IS NULL OR sender IN (SELECT value FROM json_each(?4)))
		ORDER BY max(due_at, lease_until), message_id LIMIT ?3)
	RETURNING message_id`

// nextDueQuery is the first entry of the dispatch_queue_claimable index.
const nextDueQuery = `
	SELECT max(due_at, lease_until) FROM dispatch_queue
	ORDER BY max(due_at, lease_until) LIMIT 1`

// leaseDue takes up to limit claimable queue rows and returns their message ids.
func leaseDue(ctx context.Context, tx *sql.Tx, now time.Time, d time.Duration, limit int, senders sql.NullString) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, leaseDueQuery, ms(now.Add(d)), ms(now), limit, senders)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// promote makes the scheduled (or accepted) messages among "in" queued.
func promote(ctx context.Context, tx *sql.Tx, in string, args []any, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `
		UPDATE messages SET status = ?, status_rank = ?, status_at = ?
		WHERE status_rank < ? AND id IN `+in+` RETURNING id`,
		append([]any{openwaba.StatusQueued, openwaba.StatusQueued.Rank(), ms(now), openwaba.StatusQueued.Rank()}, args...)...)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, id := range ids {
		if err := journal(ctx, tx, id, openwaba.StatusQueued, now, 0, ""); err != nil {
			return err
		}
	}
	return nil
}

// inList returns "(?, ?, ...)" and the ids as arguments.
func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

// NextDue returns the earliest time at which ClaimDue will find something:
// the due time of an unleased message, or the end of a lease (a dispatcher
// that died leaves its messages leased, and they must be picked up when
// that runs out). false means the queue is empty.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.read.QueryRowContext(ctx, nextDueQuery).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due message: %w", err)
	}
	return time.UnixMilli(next.Int64).UTC(), true, nil
}

// RenewLeases extends to until the leases of the claimed messages ids that
// are still in the queue. lease_until > 0 marks a claim (Retry sets it to
// 0), so a message put back in the queue is not taken out of reach again
// by a late renewal; max() never shortens a lease.
func (s *Store) RenewLeases(ctx context.Context, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("renew leases: %w", err)
	}
	err = s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE dispatch_queue SET lease_until = max(lease_until, ?1)
			WHERE lease_until > 0 AND message_id IN (SELECT value FROM json_each(?2))`, ms(until), string(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("renew leases of %d messages: %w", len(ids), err)
	}
	return nil
}

// MarkSubmitted records the wamid WhatsApp gave message id and takes it out
// of the queue. Its status stays as it is until WhatsApp reports sent.
func (s *Store) MarkSubmitted(ctx context.Context, id int64, wamid string, at time.Time) error {
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET wamid = ? WHERE id = ?`, nullString(wamid), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return openwaba.ErrNotFound
		}
		if err := applyEarly(ctx, tx, id, wamid, s.now()); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM dispatch_queue WHERE message_id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			// WhatsApp has it, so the wamid is kept all the same: status
			// reports must find the message.
			s.log.Warn("message submitted that was no longer queued; was its lease too short?",
				"id", id, "wamid", wamid, "at", at)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark message %d submitted: %w", id, err)
	}
	return nil
}

// Retry puts a message back in the queue, due at next and unleased, and
// keeps errCode and errText as its last error. A message no longer in the
// queue (submitted or ended meanwhile) is ErrConflict: it must not come back.
func (s *Store) Retry(ctx context.Context, id int64, next time.Time, errCode int, errText string) error {
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := queued(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE dispatch_queue SET due_at = ?, lease_until = 0 WHERE message_id = ?`, ms(next), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`UPDATE messages SET error_code = ?, error_text = ? WHERE id = ?`, errCode, errText, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("retry message %d: %w", id, err)
	}
	return nil
}

// Fail ends a queued message as failed or expired, with the error, and
// refunds it. A message no longer in the queue is ErrConflict.
func (s *Store) Fail(ctx context.Context, id int64, status openwaba.Status, errCode int, errText string, at time.Time) error {
	if status != openwaba.StatusFailed && status != openwaba.StatusExpired {
		return fmt.Errorf("fail message %d: status %q is neither failed nor expired", id, status)
	}
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := queued(ctx, tx, id); err != nil {
			return err
		}
		return end(ctx, tx, id, status, at, errCode, errText)
	})
	if err != nil {
		return fmt.Errorf("fail message %d: %w", id, err)
	}
	return nil
}

// queued checks that message id exists (else ErrNotFound) and is in the
// queue (else ErrConflict).
func queued(ctx context.Context, tx *sql.Tx, id int64) error {
	var inQueue bool
	err := tx.QueryRowContext(ctx, `
		SELECT q.message_id IS NOT NULL FROM messages m LEFT JOIN dispatch_queue q ON q.message_id = m.id
		WHERE m.id = ?`, id).Scan(&inQueue)
	if err != nil {
		return notFound(err)
	}
	if !inQueue {
		return fmt.Errorf("%w: message is no longer queued", openwaba.ErrConflict)
	}
	return nil
}
