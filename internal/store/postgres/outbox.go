package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

// statusEvents are st.HookEvents() as the text[] the statements take.
func statusEvents(st openwaba.Status) []string {
	var out []string
	for _, e := range st.HookEvents() {
		out = append(out, string(e))
	}
	return out
}

// Deliveries are due at once (due_at 0): their created_at is the time of
// the event they report, which may lie in the future of this clock.

// enqueueStatusSQL puts the deliveries of message $7 reaching status $3 in
// the outbox: one per event ($1, in that order) per matching hook of the
// message's account (by id). Ids follow that order, and so does delivery.
const enqueueStatusSQL = `
	INSERT INTO webhook_outbox (hook_id, event, order_key, message_id, status, status_at,
		error_code, error_text, created_at, due_at)
	SELECT h.id, e.ev, $2, m.id, $3, $4, $5, $6, $4, 0
	FROM messages m JOIN hooks h ON h.account_id = m.account_id
	CROSS JOIN unnest($1::text[]) WITH ORDINALITY AS e (ev, n)
	WHERE m.id = $7 AND h.event_type IN (e.ev, 'all') AND h.event_filter IN ('', m.sender)
	ORDER BY e.n, h.id`

// enqueueStatus puts the webhook deliveries of message id reaching status
// in the outbox, in the transaction that journals the status.
func enqueueStatus(ctx context.Context, tx pgx.Tx, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	events := statusEvents(status)
	if len(events) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, enqueueStatusSQL, events, openwaba.MessageOrderKey(id), status, ms(at), code, text, id)
	return err
}

// enqueueInbound puts the wa_mo deliveries of inbound message id in the
// outbox, ordered per conversation.
func enqueueInbound(ctx context.Context, tx pgx.Tx, id int64, m openwaba.InboundMessage) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO webhook_outbox (hook_id, event, order_key, inbound_id, created_at, due_at)
		SELECT id, $1, $2, $3, $4, 0 FROM hooks
		WHERE account_id = $5 AND event_type IN ($1, 'all') AND event_filter IN ('', $6)
		ORDER BY id`,
		openwaba.HookWAMO, openwaba.ConversationOrderKey(m.Sender, m.From), id, ms(m.ReceivedAt), m.AccountID, m.Sender)
	return err
}

// EnqueueEvent puts an event of a message that is neither a status nor an
// inbound message (a click) in the outbox of the account's matching hooks.
func (s *Store) EnqueueEvent(ctx context.Context, accountID int64, event openwaba.HookEvent, sender string, messageID int64, data []byte, at time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO webhook_outbox (hook_id, event, order_key, message_id, data, created_at, due_at)
			SELECT id, $1, $2, $3, $4, $5, 0 FROM hooks
			WHERE account_id = $6 AND event_type IN ($1, 'all') AND event_filter IN ('', $7)
			ORDER BY id`,
			event, openwaba.MessageOrderKey(messageID), messageID, data, ms(at), accountID, sender)
		return err
	})
	if err != nil {
		return fmt.Errorf("enqueue %s event: %w", event, err)
	}
	return nil
}

const deliveryColumns = `d.id, d.event, d.message_id, d.inbound_id, d.click_id, d.status, d.status_at, d.error_code, d.error_text,
	d.data, d.created_at, d.attempts, d.last_error, d.state,
	h.id, h.account_id, h.target_url, h.event_type, h.request_method, h.event_filter, h.headers, h.created_at`

func scanDelivery(sc scanner) (openwaba.Delivery, error) {
	var d openwaba.Delivery
	var statusAt, created, hookCreated int64
	err := sc.Scan(&d.ID, &d.Event, &d.MessageID, &d.InboundID, &d.ClickID, &d.Status, &statusAt, &d.ErrorCode, &d.ErrorText,
		&d.Data, &created, &d.Attempts, &d.LastError, &d.State,
		&d.Hook.ID, &d.Hook.AccountID, &d.Hook.TargetURL, &d.Hook.EventType, &d.Hook.RequestMethod,
		&d.Hook.EventFilter, &d.Hook.Headers, &hookCreated)
	d.StatusAt, d.CreatedAt, d.Hook.CreatedAt = fromMS(statusAt), fromMS(created), fromMS(hookCreated)
	return d, err
}

// ClaimDeliveries leases the due deliveries that are first in their order
// (no older pending delivery of the same hook and order key), oldest due
// first.
//
// Concurrent claimers (goroutines or nodes) skip the rows another one has
// locked (SKIP LOCKED) instead of waiting. The order check does not skip:
// it sees the older delivery whether or not it is locked, leased or being
// claimed, so the next of an order is claimable only once the one before
// it is gone (delivered) or dead.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]openwaba.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []openwaba.Delivery
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH due AS (
				SELECT d.id FROM webhook_outbox d
				WHERE d.state = 'pending' AND GREATEST(d.due_at, d.lease_until) <= $2
				AND NOT EXISTS (SELECT 1 FROM webhook_outbox e
					WHERE e.state = 'pending' AND e.hook_id = d.hook_id AND e.order_key = d.order_key AND e.id < d.id)
				ORDER BY GREATEST(d.due_at, d.lease_until), d.id
				LIMIT $3
				FOR UPDATE SKIP LOCKED)
			UPDATE webhook_outbox o SET lease_until = $1, attempts = o.attempts + 1
			FROM due WHERE o.id = due.id
			RETURNING o.id`, ms(now.Add(lease)), ms(now), limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || len(ids) == 0 {
			out = nil
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+deliveryColumns+`
			FROM webhook_outbox d JOIN hooks h ON h.id = d.hook_id WHERE d.id = ANY($1) ORDER BY d.id`, ids)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanDelivery)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return out, nil
}

// NextDelivery returns the earliest time a pending delivery is claimable.
// A delivery waiting behind an older one of its order may be reported
// early; the deliverer then finds nothing and asks again.
func (s *Store) NextDelivery(ctx context.Context) (time.Time, bool, error) {
	var next int64
	err := s.pool.QueryRow(ctx, `
		SELECT GREATEST(due_at, lease_until) FROM webhook_outbox WHERE state = 'pending'
		ORDER BY GREATEST(due_at, lease_until) LIMIT 1`).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next webhook delivery: %w", err)
	}
	return fromMS(next), true, nil
}

// outboxUpdate runs one statement on delivery id; a delivery that is gone
// (its hook was deleted meanwhile) is ErrNotFound.
func (s *Store) outboxUpdate(ctx context.Context, what string, id int64, query string, args ...any) error {
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, query, args...))
	})
	if err != nil {
		return fmt.Errorf("%s webhook delivery %d: %w", what, id, err)
	}
	return nil
}

// DeliveryDone deletes a delivered delivery.
func (s *Store) DeliveryDone(ctx context.Context, id int64) error {
	return s.outboxUpdate(ctx, "finish", id, `DELETE FROM webhook_outbox WHERE id = $1`, id)
}

// RetryDelivery makes delivery id due at next, unleased.
func (s *Store) RetryDelivery(ctx context.Context, id int64, next time.Time, lastError string) error {
	return s.outboxUpdate(ctx, "retry", id,
		`UPDATE webhook_outbox SET due_at = $1, lease_until = 0, last_error = $2 WHERE id = $3 AND state = 'pending'`,
		ms(next), lastError, id)
}

// KillDelivery dead-letters delivery id.
func (s *Store) KillDelivery(ctx context.Context, id int64, lastError string) error {
	return s.outboxUpdate(ctx, "kill", id,
		`UPDATE webhook_outbox SET state = 'dead', lease_until = 0, last_error = $1 WHERE id = $2 AND state = 'pending'`,
		lastError, id)
}

// DeadDeliveries lists dead deliveries of the account (all for 0).
func (s *Store) DeadDeliveries(ctx context.Context, accountID int64) ([]openwaba.Delivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+`
		FROM webhook_outbox d JOIN hooks h ON h.id = d.hook_id
		WHERE d.state = 'dead' AND ($1::bigint = 0 OR h.account_id = $1) ORDER BY d.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list dead webhook deliveries: %w", err)
	}
	ds, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("list dead webhook deliveries: %w", err)
	}
	return ds, nil
}

// ReplayDelivery makes a dead delivery of the account (any for 0) pending
// again, due at now, with attempts counted afresh.
func (s *Store) ReplayDelivery(ctx context.Context, accountID, id int64, now time.Time) error {
	return s.outboxUpdate(ctx, "replay", id, `
		UPDATE webhook_outbox SET state = 'pending', due_at = $1, lease_until = 0, attempts = 0
		WHERE id = $2 AND state = 'dead'
		AND ($3::bigint = 0 OR hook_id IN (SELECT id FROM hooks WHERE account_id = $3))`, ms(now), id, accountID)
}
