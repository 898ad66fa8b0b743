package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openwaba/openwaba"
)

// messageColumns selects a message from "messages m".
const messageColumns = `m.id, m.account_id, m.sender, m.recipient, m.content, m.text, m.encoding,
	m.category, m.price, m.label, m.foreign_id, m.performance_tracking, m.ttl,
	m.created_at, m.scheduled_at, m.expires_at, m.status, m.status_at,
	coalesce(m.wamid, ''), m.error_code, m.error_text, m.attempts, m.refunded`

func scanMessage(sc scanner) (openwaba.Message, error) {
	var m openwaba.Message
	var content []byte
	var ttl, created, scheduled, expires, statusAt int64
	err := sc.Scan(&m.ID, &m.AccountID, &m.Sender, &m.Recipient, &content, &m.Text, &m.Encoding,
		&m.Category, &m.Price, &m.Label, &m.ForeignID, &m.PerformanceTracking, &ttl,
		&created, &scheduled, &expires, &m.Status, &statusAt,
		&m.WAMID, &m.ErrorCode, &m.ErrorText, &m.Attempts, &m.Refunded)
	if err != nil {
		return openwaba.Message{}, err
	}
	if err := json.Unmarshal(content, &m.Content); err != nil {
		return openwaba.Message{}, fmt.Errorf("content of message %d: %w", m.ID, err)
	}
	m.TTL = time.Duration(ttl) * time.Millisecond
	m.CreatedAt, m.ScheduledAt, m.ExpiresAt = fromMS(created), fromMS(scheduled), fromMS(expires)
	m.StatusAt = fromMS(statusAt)
	return m, nil
}

// getMessage reads one message of the account with q (a *sql.DB or *sql.Tx).
func getMessage(ctx context.Context, q queryer, accountID, id int64) (openwaba.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx,
		`SELECT `+messageColumns+` FROM messages m WHERE m.id = ? AND m.account_id = ?`, id, accountID))
	return m, notFound(err)
}

// queryer is what reads need from *sql.DB and *sql.Tx alike.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Accept stores and queues msgs and debits their total price in one write
// op. Each message is stored as given, with the account, an ID, StatusAt =
// CreatedAt and the fields of a fresh message (no WAMID, attempts or
// refund); CreatedAt defaults to now, ScheduledAt to CreatedAt, and Status to
// queued, or scheduled when ScheduledAt is after CreatedAt. Times are
// truncated to milliseconds, as stored.
func (s *Store) Accept(ctx context.Context, accountID int64, msgs []openwaba.Message) (openwaba.AcceptResult, error) {
	now := s.now()
	out := make([]openwaba.Message, len(msgs))
	contents := make([]string, len(msgs))
	var total openwaba.Micros
	for i, m := range msgs {
		m, err := newMessage(m, accountID, now)
		if err != nil {
			return openwaba.AcceptResult{}, fmt.Errorf("accept: message %d: %w", i, err)
		}
		c, err := json.Marshal(m.Content)
		if err != nil {
			return openwaba.AcceptResult{}, fmt.Errorf("accept: message %d: %w", i, err)
		}
		out[i], contents[i] = m, string(c)
		total += m.Price
	}

	var balance openwaba.Micros
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Debit first: when the money is not there, nothing else runs.
		err := tx.QueryRowContext(ctx, `
			UPDATE accounts SET balance = balance - ?1
			WHERE id = ?2 AND (?1 = 0 OR balance >= ?1)
			RETURNING balance`, total, accountID).Scan(&balance)
		if errors.Is(err, sql.ErrNoRows) {
			return accountShort(ctx, tx, accountID)
		}
		if err != nil {
			return err
		}
		for i := range out {
			if err := insertMessage(ctx, tx, &out[i], contents[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return openwaba.AcceptResult{}, fmt.Errorf("accept for account %d: %w", accountID, err)
	}
	return openwaba.AcceptResult{Messages: out, Balance: balance}, nil
}

// newMessage fills in what Accept derives for a message before storing it.
func newMessage(m openwaba.Message, accountID int64, now time.Time) (openwaba.Message, error) {
	if m.Price < 0 {
		return m, fmt.Errorf("negative price %d", m.Price)
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if m.ScheduledAt.IsZero() {
		m.ScheduledAt = m.CreatedAt
	}
	m.CreatedAt, m.ScheduledAt, m.ExpiresAt = fromMS(ms(m.CreatedAt)), fromMS(ms(m.ScheduledAt)), fromMS(ms(m.ExpiresAt))
	m.TTL = m.TTL.Truncate(time.Millisecond)
	if m.Status == "" {
		m.Status = openwaba.StatusQueued
		if m.ScheduledAt.After(m.CreatedAt) {
			m.Status = openwaba.StatusScheduled
		}
	}
	if !m.Status.Valid() {
		return m, fmt.Errorf("invalid status %q", m.Status)
	}
	m.ID, m.AccountID = 0, accountID
	m.StatusAt = m.CreatedAt
	m.WAMID, m.Attempts, m.Refunded = "", 0, false
	return m, nil
}

// accountShort explains a debit that matched no row.
func accountShort(ctx context.Context, tx *sql.Tx, accountID int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, accountID).Scan(&one)
	if err != nil {
		return notFound(err)
	}
	return openwaba.ErrInsufficientBalance
}

// insertMessage stores m with its first journal entry, its queue row and
// its debit (the balance was already reduced by the caller), and sets m.ID.
func insertMessage(ctx context.Context, tx *sql.Tx, m *openwaba.Message, content string) error {
	err := tx.QueryRowContext(ctx, `
		INSERT INTO messages (account_id, sender, recipient, content, text, encoding, category, price,
			label, foreign_id, performance_tracking, ttl, created_at, scheduled_at, expires_at,
			status, status_rank, status_at, error_code, error_text)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		m.AccountID, m.Sender, m.Recipient, content, m.Text, m.Encoding, m.Category, m.Price,
		m.Label, m.ForeignID, m.PerformanceTracking, m.TTL.Milliseconds(),
		ms(m.CreatedAt), ms(m.ScheduledAt), ms(m.ExpiresAt),
		m.Status, m.Status.Rank(), ms(m.StatusAt), m.ErrorCode, m.ErrorText).Scan(&m.ID)
	if err != nil {
		return err
	}
	m.Links = slices.Clone(m.Links) // the caller's slice stays as it was
	for i, l := range m.Links {
		if _, err := tx.ExecContext(ctx, `INSERT INTO links (code, account_id, message_id, url, created_at) VALUES (?, ?, ?, ?, ?)`,
			l.Code, m.AccountID, m.ID, l.URL, ms(m.CreatedAt)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("short link code %s is taken: %w", l.Code, openwaba.ErrConflict)
			}
			return err
		}
		m.Links[i].AccountID, m.Links[i].MessageID, m.Links[i].CreatedAt = m.AccountID, m.ID, m.CreatedAt
	}
	if err := journal(ctx, tx, m.ID, m.Status, m.StatusAt, 0, ""); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO dispatch_queue (message_id, due_at, sender) VALUES (?, ?, ?)`, m.ID, ms(m.ScheduledAt), m.Sender); err != nil {
		return err
	}
	if m.Price > 0 {
		return book(ctx, tx, m.AccountID, -m.Price, openwaba.ReasonDebit, m.ID, m.CreatedAt)
	}
	return nil
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
	m, err := scanMessage(s.read.QueryRowContext(ctx, `
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
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM messages WHERE id = ? AND account_id = ?`, id, accountID).Scan(&one)
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, notFound(err))
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT message_id, status, at, error_code, error_text
		FROM message_statuses WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	defer rows.Close()
	var es []openwaba.StatusEvent
	for rows.Next() {
		var e openwaba.StatusEvent
		var at int64
		if err := rows.Scan(&e.MessageID, &e.Status, &at, &e.ErrorCode, &e.ErrorText); err != nil {
			return nil, fmt.Errorf("status history of message %d: %w", id, err)
		}
		e.At = fromMS(at)
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	return es, nil
}

// Cancel deletes a message that is still waiting in the queue and not
// leased at now, refunds it once and ends it as deleted.
func (s *Store) Cancel(ctx context.Context, accountID int64, id int64, now time.Time) (openwaba.Message, error) {
	var m openwaba.Message
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var leaseUntil sql.NullInt64
		err := tx.QueryRowContext(ctx, `
			SELECT q.lease_until FROM messages m LEFT JOIN dispatch_queue q ON q.message_id = m.id
			WHERE m.id = ? AND m.account_id = ?`, id, accountID).Scan(&leaseUntil)
		if err != nil {
			return notFound(err)
		}
		if !leaseUntil.Valid || leaseUntil.Int64 > ms(now) {
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
	if f.ForeignID != "" {
		q += ` AND m.foreign_id = ?`
		args = append(args, f.ForeignID)
	}
	if f.Label != "" {
		q += ` AND m.label = ?`
		args = append(args, f.Label)
	}
	if !f.From.IsZero() {
		q += ` AND m.created_at >= ?`
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND m.created_at < ?`
		args = append(args, ms(f.To))
	}
	if f.Before > 0 {
		q += ` AND m.id < ?`
		args = append(args, f.Before)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY m.id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []openwaba.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
