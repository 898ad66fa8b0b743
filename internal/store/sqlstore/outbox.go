package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// Deliveries are due at once (due_at 0): their created_at is the time of
// the event they report, which may lie in the future of this clock.
//
// Outbox ids are the event ids receivers see (X-Webhook-Id) and are never
// given twice, on either engine: an identity column on PostgreSQL,
// AUTOINCREMENT on SQLite (migration 00008).

// event is what one outbox row reports, whichever hook it goes to.
type event struct {
	OrderKey                      string
	MessageID, InboundID, ClickID int64
	Status                        openwaba.Status
	StatusAt                      time.Time
	ErrorCode                     int
	ErrorText                     string
	Data                          []byte
	CreatedAt                     time.Time
}

// enqueue puts e in the outbox once per event type in kinds (in that
// order) per hook of the account that wants it (openwaba.Hook.Wants), by
// hook id: the rule is Go's, the SQL only writes the rows.
func enqueue(ctx context.Context, tx *db, accountID int64, sender string, kinds []openwaba.HookEvent, e event) error {
	return enqueueAny(ctx, tx, accountID, []string{sender}, kinds, e)
}

// enqueueAny is enqueue for an event that concerns several sender numbers
// of the account (a template of their WABA): a hook filtered on any of
// them hears of it, once (openwaba.Hook.WantsAny).
func enqueueAny(ctx context.Context, tx *db, accountID int64, senders []string, kinds []openwaba.HookEvent, e event) error {
	hooks, err := accountHooks(ctx, tx, accountID)
	if err != nil {
		return err
	}
	var rows []any // outboxArity values a row
	for _, kind := range kinds {
		for _, h := range hooks {
			if h.WantsAny(kind, senders) {
				rows = append(rows, h.ID, kind, e.OrderKey, e.MessageID, e.InboundID, e.ClickID,
					e.Status, ms(e.StatusAt), e.ErrorCode, e.ErrorText, e.Data, ms(e.CreatedAt))
			}
		}
	}
	if tx.outbox != nil {
		*tx.outbox = append(*tx.outbox, rows...) // written by flushOutbox
		return nil
	}
	return insertOutbox(ctx, tx, rows)
}

// outboxArity is the number of values of an outbox row (insertOutbox).
const outboxArity = 12

// outboxInsertTexts[k] inserts 2^k outbox rows.
var outboxInsertTexts = func() []string {
	texts := make([]string, 9) // up to 256 rows, 3,072 values
	for k := range texts {
		rows := strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0), ", 1<<k)
		texts[k] = `INSERT INTO webhook_outbox (hook_id, event, order_key, message_id, inbound_id, click_id,
			status, status_at, error_code, error_text, data, created_at, due_at) VALUES ` + strings.TrimSuffix(rows, ", ")
	}
	return texts
}()

// insertOutbox writes outbox rows (outboxArity values each) with few
// statements, of a few fixed sizes (prepared once); ids are drawn in the
// order of the rows, so a message's events keep their order.
func insertOutbox(ctx context.Context, tx *db, rows []any) error {
	for len(rows) > 0 {
		k := min(bits.Len(uint(len(rows)/outboxArity)), len(outboxInsertTexts)) - 1
		n := outboxArity << k
		if _, err := tx.exec(ctx, outboxInsertTexts[k], rows[:n]...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// deferOutbox makes the enqueues of write tx collect their rows until
// flushOutbox writes them, so that the events of a group of status
// reports are a few statements, not one per report.
func deferOutbox(tx *db) { tx.outbox = new([]any) }

// flushOutbox writes the rows collected since deferOutbox and ends the
// deferral.
func flushOutbox(ctx context.Context, tx *db) error {
	rows := *tx.outbox
	tx.outbox = nil
	return insertOutbox(ctx, tx, rows)
}

// accountHooks are the account's hooks, read once per write (db.hooks).
func accountHooks(ctx context.Context, tx *db, accountID int64) ([]openwaba.Hook, error) {
	if hooks, ok := tx.hooks[accountID]; ok {
		return hooks, nil
	}
	hooks, err := all(ctx, tx, func(sc scanner) (openwaba.Hook, error) {
		var h openwaba.Hook
		err := sc.Scan(&h.ID, &h.EventType, &h.EventFilter)
		return h, err
	}, `SELECT id, event_type, event_filter FROM hooks WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	if tx.tx == nil {
		return hooks, nil // not a write's copy: nothing to keep it for
	}
	if tx.hooks == nil {
		tx.hooks = map[int64][]openwaba.Hook{}
	}
	tx.hooks[accountID] = hooks
	return hooks, nil
}

// EnqueueEvent puts an event of a message that is neither a status nor an
// inbound message in the outbox of the account's matching hooks.
func (s *Store) EnqueueEvent(ctx context.Context, accountID int64, kind openwaba.HookEvent, sender string, messageID int64, data []byte, at time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return enqueue(ctx, tx, accountID, sender, []openwaba.HookEvent{kind}, event{
			OrderKey: openwaba.MessageOrderKey(messageID), MessageID: messageID, Data: data, CreatedAt: at,
		})
	})
	if err != nil {
		return fmt.Errorf("enqueue %s event: %w", kind, err)
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
// Concurrent claimers on PostgreSQL skip the rows another one has locked
// (SKIP LOCKED) instead of waiting. The order check does not skip: it sees
// the older delivery whether or not it is locked, leased or being claimed,
// so the next of an order is claimable only once the one before it is gone
// (delivered) or dead.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]openwaba.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []openwaba.Delivery
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		ids, err := all(ctx, tx, scanValue[int64], claimDeliveriesSQL(s.d), ms(now.Add(lease)), ms(now), limit)
		if err != nil || len(ids) == 0 {
			out = nil
			return err
		}
		list, err := s.list(ids)
		if err != nil {
			return err
		}
		out, err = all(ctx, tx, scanDelivery, `SELECT `+deliveryColumns+`
			FROM webhook_outbox d JOIN hooks h ON h.id = d.hook_id WHERE d.id `+s.d.in("?")+` ORDER BY d.id`, list)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	// The messages are a prefetch: if reading them fails, the deliveries
	// are leased already and go out with Message nil, each reading its own
	// (and retried on that read's error), rather than waiting a lease.
	_ = s.withMessages(ctx, out)
	return out, nil
}

// claimDeliveriesSQL leases (?1: until) up to ?3 pending deliveries due at
// ?2, oldest first, each only when no earlier delivery of its hook and
// order key is pending: a message's events go out in order.
//
// LIMIT 1 OFFSET 0 keeps PostgreSQL from pulling the NOT EXISTS up into an
// anti-join: planned while the outbox was empty or small (a new database,
// statistics not yet gathered; pgx then keeps the statement's generic
// plan), that join walked the whole order index for every candidate, and
// with a backlog of 45,000 deliveries one claim took over 30 s and failed,
// stalling every hook. As a subplan it is one probe of the order index per
// candidate, whatever the planner knows (TestClaimDeliveriesProbeOrder).
func claimDeliveriesSQL(d *dialect) string {
	due := d.greatest + `(d.due_at, d.lease_until)`
	return `
		UPDATE webhook_outbox SET lease_until = ?1, attempts = attempts + 1
		WHERE id IN (
			SELECT d.id FROM webhook_outbox d
			WHERE d.state = 'pending' AND ` + due + ` <= ?2
			AND NOT EXISTS (SELECT 1 FROM webhook_outbox e
				WHERE e.state = 'pending' AND e.hook_id = d.hook_id AND e.order_key = d.order_key AND e.id < d.id
				LIMIT 1 OFFSET 0)
			ORDER BY ` + due + `, d.id LIMIT ?3` + d.skipLocked + `)
		RETURNING id`
}

// withMessages reads the messages the status deliveries of ds report, in
// one read outside the claim's write (the writer is what every write
// waits for), and sets each delivery's Message: the message as it is once
// the status was recorded, which is what the delivery reports. A message
// that is gone is left nil: the deliverer then finds it gone itself.
func (s *Store) withMessages(ctx context.Context, ds []openwaba.Delivery) error {
	reports := func(d openwaba.Delivery) bool {
		return d.MessageID != 0 && (d.Event == openwaba.HookDLR || d.Event == openwaba.HookWAStatus)
	}
	var ids []int64
	for _, d := range ds {
		if reports(d) {
			ids = append(ids, d.MessageID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	list, err := s.list(ids)
	if err != nil {
		return err
	}
	msgs, err := all(ctx, s.read, scanMessage, `SELECT `+messageColumns+` FROM messages m WHERE m.id `+s.d.in("?"), list)
	if err != nil {
		return err
	}
	byID := make(map[int64]*openwaba.Message, len(msgs))
	for i := range msgs {
		byID[msgs[i].ID] = &msgs[i]
	}
	for i, d := range ds {
		// The account's own message only, as getMessage reads it.
		if m := byID[d.MessageID]; m != nil && reports(d) && m.AccountID == d.Hook.AccountID {
			ds[i].Message = m
		}
	}
	return nil
}

// NextDelivery returns the earliest time a pending delivery is claimable.
// A delivery waiting behind an older one of its order may be reported
// early; the deliverer then finds nothing and asks again.
func (s *Store) NextDelivery(ctx context.Context) (time.Time, bool, error) {
	due := s.d.greatest + `(due_at, lease_until)`
	var next int64
	err := s.read.row(ctx, `SELECT `+due+` FROM webhook_outbox WHERE state = 'pending' ORDER BY `+due+` LIMIT 1`).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
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
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, query, args...))
	})
	if err != nil {
		return fmt.Errorf("%s webhook delivery %d: %w", what, id, err)
	}
	return nil
}

// DeliveryDone deletes a delivered delivery. The deliveries finished at
// one moment are deleted together (batch.Group), in one statement.
func (s *Store) DeliveryDone(ctx context.Context, id int64) error {
	if err := s.doneGroup.Do(ctx, id); err != nil {
		return fmt.Errorf("finish webhook delivery %d: %w", id, err)
	}
	return nil
}

// flushDone deletes a group of delivered deliveries in one write; one that
// is gone already (its hook was deleted meanwhile) is ErrNotFound.
func (s *Store) flushDone(ids []int64) []error {
	errs := make([]error, len(ids))
	var deleted map[int64]bool
	err := s.write(context.Background(), func(ctx context.Context, tx *db) error {
		var err error
		deleted, err = idSet(ctx, tx, `DELETE FROM webhook_outbox WHERE id `+s.d.in("?")+` RETURNING id`, ids)
		return err
	})
	for i, id := range ids {
		switch {
		case err != nil:
			errs[i] = err
		case !deleted[id]:
			errs[i] = openwaba.ErrNotFound
		}
	}
	return errs
}

// RetryDelivery makes delivery id due at next, unleased.
func (s *Store) RetryDelivery(ctx context.Context, id int64, next time.Time, lastError string) error {
	return s.outboxUpdate(ctx, "retry", id,
		`UPDATE webhook_outbox SET due_at = ?, lease_until = 0, last_error = ? WHERE id = ? AND state = 'pending'`,
		ms(next), lastError, id)
}

// KillDelivery dead-letters delivery id.
func (s *Store) KillDelivery(ctx context.Context, id int64, lastError string) error {
	return s.outboxUpdate(ctx, "kill", id,
		`UPDATE webhook_outbox SET state = 'dead', lease_until = 0, last_error = ? WHERE id = ? AND state = 'pending'`,
		lastError, id)
}

// DeadDeliveries lists dead deliveries of the account (all for 0).
func (s *Store) DeadDeliveries(ctx context.Context, accountID int64) ([]openwaba.Delivery, error) {
	ds, err := all(ctx, s.read, scanDelivery, `SELECT `+deliveryColumns+`
		FROM webhook_outbox d JOIN hooks h ON h.id = d.hook_id
		WHERE d.state = 'dead' AND (CAST(?1 AS BIGINT) = 0 OR h.account_id = ?1) ORDER BY d.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list dead webhook deliveries: %w", err)
	}
	return ds, nil
}

// ReplayDelivery makes a dead delivery of the account (any for 0) pending
// again, due at now, with attempts counted afresh.
func (s *Store) ReplayDelivery(ctx context.Context, accountID, id int64, now time.Time) error {
	return s.outboxUpdate(ctx, "replay", id, `
		UPDATE webhook_outbox SET state = 'pending', due_at = ?1, lease_until = 0, attempts = 0
		WHERE id = ?2 AND state = 'dead'
		AND (CAST(?3 AS BIGINT) = 0 OR hook_id IN (SELECT id FROM hooks WHERE account_id = ?3))`, ms(now), id, accountID)
}
