package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

// ClaimDue leases up to limit queued messages that are due at now and not
// leased, oldest due first. FOR UPDATE SKIP LOCKED makes concurrent claimers
// (goroutines or nodes) take disjoint rows without waiting for each other:
// a row another transaction holds is skipped, and once that one commits its
// lease keeps the row out of reach until the lease ends. A scheduled message
// becomes queued when it is claimed.
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
	var msgs []openwaba.Message
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH due AS (
				SELECT message_id FROM dispatch_queue
				WHERE GREATEST(due_at, lease_until) <= $2
				AND ($4::text[] IS NULL OR sender = ANY($4))
				ORDER BY GREATEST(due_at, lease_until), message_id
				LIMIT $3
				FOR UPDATE SKIP LOCKED)
			UPDATE dispatch_queue q SET lease_until = $1, attempts = q.attempts + 1
			FROM due WHERE q.message_id = due.message_id
			RETURNING q.message_id`, ms(now.Add(lease)), ms(now), limit, senders)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || len(ids) == 0 {
			msgs = nil
			return err
		}
		if err := promote(ctx, tx, ids, now); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
			SELECT `+messageColumns+` FROM messages m JOIN dispatch_queue q ON q.message_id = m.id
			WHERE m.id = ANY($1) ORDER BY q.due_at, m.id`, ids)
		if err != nil {
			return err
		}
		msgs, err = collect(rows, scanMessage)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due messages: %w", err)
	}
	return msgs, nil
}

// promote counts an attempt for each of the claimed messages ids, makes
// the scheduled (or accepted) ones queued and journals that. The claimer
// holds their queue rows, so it is the only writer that locks these
// message rows after their queue rows' locks: no deadlock with Cancel,
// Retry, Fail or MarkSubmitted, which lock the queue row first too.
func promote(ctx context.Context, tx pgx.Tx, ids []int64, now time.Time) error {
	queued := openwaba.StatusQueued
	_, err := tx.Exec(ctx, `
		WITH old AS (
			SELECT id, status_rank < $3 AS promote FROM messages WHERE id = ANY($1)
			ORDER BY id FOR UPDATE),
		upd AS (
			UPDATE messages m SET attempts = m.attempts + 1,
				status = CASE WHEN old.promote THEN $2 ELSE m.status END,
				status_rank = CASE WHEN old.promote THEN $3 ELSE m.status_rank END,
				status_at = CASE WHEN old.promote THEN $4 ELSE m.status_at END
			FROM old WHERE m.id = old.id
			RETURNING m.id, old.promote)
		INSERT INTO message_statuses (message_id, status, at)
		SELECT id, $2, $4 FROM upd WHERE promote ORDER BY id
		ON CONFLICT (message_id, status) DO NOTHING`,
		ids, queued, queued.Rank(), ms(now))
	return err
}

// NextDue returns the earliest time at which ClaimDue will find something:
// the due time of an unleased message, or the end of a lease (a dispatcher
// that died leaves its messages leased, and they must be picked up when
// that runs out). false means the queue is empty.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next int64
	err := s.pool.QueryRow(ctx, `
		SELECT GREATEST(due_at, lease_until) FROM dispatch_queue
		ORDER BY GREATEST(due_at, lease_until) LIMIT 1`).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due message: %w", err)
	}
	return time.UnixMilli(next).UTC(), true, nil
}

// RenewLeases extends to until the leases of the claimed messages ids that
// are still in the queue. lease_until > 0 marks a claim (Retry sets it to
// 0), so a message put back in the queue is not taken out of reach again
// by a late renewal; GREATEST never shortens a lease. It locks queue rows
// only, in id order, so two renewals cannot deadlock, and it never holds a
// message row: the queue-row-first order of the other writers stands.
func (s *Store) RenewLeases(ctx context.Context, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			WITH held AS (
				SELECT message_id FROM dispatch_queue
				WHERE message_id = ANY($1) AND lease_until > 0
				ORDER BY message_id FOR UPDATE)
			UPDATE dispatch_queue q SET lease_until = GREATEST(q.lease_until, $2)
			FROM held WHERE q.message_id = held.message_id`, ids, ms(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("renew leases of %d messages: %w", len(ids), err)
	}
	return nil
}

// MarkSubmitted records the wamid WhatsApp gave message id, applies the
// status reports that came for it before, and takes it out of the queue.
// Its status stays as it is until WhatsApp reports sent.
func (s *Store) MarkSubmitted(ctx context.Context, id int64, wamid string, at time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		inQueue, err := lockQueued(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := lockWAMID(ctx, tx, wamid); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE messages SET wamid = $1 WHERE id = $2`, nullString(wamid), id); err != nil {
			return err
		}
		if err := applyEarly(ctx, tx, id, wamid, s.now()); err != nil {
			return err
		}
		if !inQueue {
			// WhatsApp has it, so the wamid is kept all the same: status
			// reports must find the message.
			s.log.Warn("message submitted that was no longer queued; was its lease too short?",
				"id", id, "wamid", wamid, "at", at)
			return nil
		}
		_, err = tx.Exec(ctx, `DELETE FROM dispatch_queue WHERE message_id = $1`, id)
		return err
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
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := queued(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`UPDATE dispatch_queue SET due_at = $1, lease_until = 0 WHERE message_id = $2`, ms(next), id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`UPDATE messages SET error_code = $1, error_text = $2 WHERE id = $3`, errCode, errText, id)
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
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
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
// queue (else ErrConflict), and locks its queue row.
func queued(ctx context.Context, tx pgx.Tx, id int64) error {
	inQueue, err := lockQueued(ctx, tx, id)
	if err != nil {
		return err
	}
	if !inQueue {
		return fmt.Errorf("%w: message is no longer queued", openwaba.ErrConflict)
	}
	return nil
}

// lockQueued checks that message id exists (else ErrNotFound), locks its
// queue row if it has one and reports whether it has. Every writer locks
// the queue row before the message row; see promote.
func lockQueued(ctx context.Context, tx pgx.Tx, id int64) (bool, error) {
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM messages WHERE id = $1`, id).Scan(&one); err != nil {
		return false, notFound(err)
	}
	err := tx.QueryRow(ctx, `SELECT 1 FROM dispatch_queue WHERE message_id = $1 FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
