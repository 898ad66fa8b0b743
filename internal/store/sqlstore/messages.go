package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

// messageColumns selects a message from "messages m".
const messageColumns = `m.id, m.account_id, m.sender, m.recipient, m.content, m.text, m.encoding,
	m.category, m.price, m.label, m.foreign_id, m.performance_tracking, m.ttl,
	m.created_at, m.scheduled_at, m.expires_at, m.status, m.status_at,
	coalesce(m.wamid, ''), m.error_code, m.error_text, m.attempts, m.refunded,
	m.user_wa_id, m.user_id, m.parent_user_id, m.username,
	m.list_price, m.charge, m.settled, m.billable, m.pricing_model, m.pricing_type, m.pricing_category`

func scanMessage(sc scanner) (openwaba.Message, error) {
	var m openwaba.Message
	var content []byte
	var ttl, created, scheduled, expires, statusAt int64
	var billable sql.NullBool
	var p openwaba.Pricing
	err := sc.Scan(&m.ID, &m.AccountID, &m.Sender, &m.Recipient, &content, &m.Text, &m.Encoding,
		&m.Category, &m.Price, &m.Label, &m.ForeignID, &m.PerformanceTracking, &ttl,
		&created, &scheduled, &expires, &m.Status, &statusAt,
		&m.WAMID, &m.ErrorCode, &m.ErrorText, &m.Attempts, &m.Refunded,
		&m.User.WaID, &m.User.UserID, &m.User.ParentUserID, &m.User.Username,
		&m.ListPrice, &m.Charge, &m.Settled, &billable, &p.Model, &p.Type, &p.Category)
	if err != nil {
		return openwaba.Message{}, err
	}
	if billable.Valid {
		p.Billable = billable.Bool
		m.Pricing = &p
	}
	if err := json.Unmarshal(content, &m.Content); err != nil {
		return openwaba.Message{}, fmt.Errorf("content of message %d: %w", m.ID, err)
	}
	m.TTL = time.Duration(ttl) * time.Millisecond
	m.CreatedAt, m.ScheduledAt, m.ExpiresAt = fromMS(created), fromMS(scheduled), fromMS(expires)
	m.StatusAt = fromMS(statusAt)
	return m, nil
}

// getMessage reads one message of the account.
func getMessage(ctx context.Context, c *db, accountID, id int64) (openwaba.Message, error) {
	m, err := scanMessage(c.row(ctx,
		`SELECT `+messageColumns+` FROM messages m WHERE m.id = ? AND m.account_id = ?`, id, accountID))
	return m, notFound(err)
}

// Message returns a message of the account.
func (s *Store) Message(ctx context.Context, accountID int64, id int64) (openwaba.Message, error) {
	m, err := getMessage(ctx, s.read, accountID, id)
	if err != nil {
		return openwaba.Message{}, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// MessageByWAMID finds a message of the account by its WhatsApp id.
func (s *Store) MessageByWAMID(ctx context.Context, accountID int64, wamid string) (openwaba.Message, error) {
	m, err := scanMessage(s.read.row(ctx, `
		SELECT `+messageColumns+` FROM messages m
		WHERE m.wamid = ? AND m.account_id = ? ORDER BY m.id DESC LIMIT 1`, wamid, accountID))
	if err != nil {
		return openwaba.Message{}, fmt.Errorf("message %s: %w", wamid, notFound(err))
	}
	return m, nil
}

// StatusHistory returns the message's journal in the order the statuses
// were recorded (see the schema: each status once, repeats dropped).
func (s *Store) StatusHistory(ctx context.Context, accountID int64, id int64) ([]openwaba.StatusEvent, error) {
	// One read transaction, so that the ownership check and the journal
	// come from the same snapshot.
	tx, err := s.read.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	defer tx.Rollback()
	c := s.read.in(tx)
	var one int
	if err := c.row(ctx, `SELECT 1 FROM messages WHERE id = ? AND account_id = ?`, id, accountID).Scan(&one); err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, notFound(err))
	}
	es, err := all(ctx, c, func(sc scanner) (openwaba.StatusEvent, error) {
		var e openwaba.StatusEvent
		var at int64
		err := sc.Scan(&e.MessageID, &e.Status, &at, &e.ErrorCode, &e.ErrorText)
		e.At = fromMS(at)
		return e, err
	}, `SELECT message_id, status, at, error_code, error_text
		FROM message_statuses WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	return es, nil
}

// Cancel deletes a message that is still waiting in the queue and not
// leased at now (openwaba.Cancellable), refunds it once and ends it as
// deleted.
func (s *Store) Cancel(ctx context.Context, accountID int64, id int64, now time.Time) (openwaba.Message, error) {
	var m openwaba.Message
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if _, err := getMessage(ctx, tx, accountID, id); err != nil {
			return err
		}
		inQueue, leaseUntil, err := lockQueued(ctx, tx, id)
		if err != nil {
			return err
		}
		if !openwaba.Cancellable(inQueue, leaseUntil, now) {
			// Out of the queue (submitted or ended) or in a dispatcher's hands.
			return openwaba.ErrAlreadySent
		}
		if err := end(ctx, tx, id, openwaba.StatusDeleted, now, 0, ""); err != nil {
			return err
		}
		m, err = getMessage(ctx, tx, accountID, id)
		return err
	})
	if err != nil {
		return openwaba.Message{}, fmt.Errorf("cancel message %d: %w", id, err)
	}
	return m, nil
}

// Messages lists the account's messages matching f, newest first, at most
// f.Limit (100 when zero).
func (s *Store) Messages(ctx context.Context, accountID int64, f openwaba.MessageFilter) ([]openwaba.Message, error) {
	q := `SELECT ` + messageColumns + ` FROM messages m WHERE m.account_id = ?`
	args := []any{accountID}
	where := func(cond string, v any) {
		q += ` AND ` + cond
		args = append(args, v)
	}
	if f.ForeignID != "" {
		where(`m.foreign_id = ?`, f.ForeignID)
	}
	if f.Label != "" {
		where(`m.label = ?`, f.Label)
	}
	if f.Sender != "" {
		where(`m.sender = ?`, f.Sender)
	}
	if f.Recipient != "" {
		keys, _, err := userKeys(ctx, s.read, accountID, "", f.Recipient)
		if err != nil {
			return nil, fmt.Errorf("list messages to %s: %w", f.Recipient, err)
		}
		list, err := s.list(keys)
		if err != nil {
			return nil, err
		}
		q += ` AND ` + recipientIn(s.d, fmt.Sprintf("?%d", len(args)+1))
		args = append(args, list)
	}
	if f.Template != "" {
		where(s.d.templateName(`m.content`)+` = ?`, f.Template)
	}
	if f.Status != "" {
		where(`m.status = ?`, f.Status)
	}
	if len(f.Statuses) > 0 {
		names := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			names[i] = string(st)
		}
		list, err := s.list(names)
		if err != nil {
			return nil, err
		}
		q += ` AND m.status ` + s.d.in(fmt.Sprintf("?%d", len(args)+1))
		args = append(args, list)
	}
	if !f.From.IsZero() {
		where(`m.created_at >= ?`, ms(f.From))
	}
	if !f.To.IsZero() {
		where(`m.created_at < ?`, ms(f.To))
	}
	if f.Before > 0 {
		where(`m.id < ?`, f.Before)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY m.id DESC LIMIT ? OFFSET ?`
	args = append(args, f.Limit, max(f.Offset, 0))
	out, err := all(ctx, s.read, scanMessage, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return out, nil
}
