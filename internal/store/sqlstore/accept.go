package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openwaba/openwaba"
)

// Accept stores and queues msgs and debits their total price in one write,
// or nothing with ErrInsufficientBalance (openwaba.CanDebit decides). Each
// message is stored as openwaba.NewMessage makes it. It returns once the
// commit is durable: group-committed with the other accepts waiting at
// that moment on both engines (see the package doc).
func (s *Store) Accept(ctx context.Context, accountID int64, msgs []openwaba.Message) (openwaba.AcceptResult, error) {
	now := s.now()
	out := make([]openwaba.Message, len(msgs))
	contents := make([]string, len(msgs))
	var total openwaba.Micros
	for i, m := range msgs {
		m, err := openwaba.NewMessage(m, accountID, now)
		if err != nil {
			return openwaba.AcceptResult{}, fmt.Errorf("accept: message %d: %w", i, err)
		}
		c, err := json.Marshal(m.Content)
		if err != nil {
			return openwaba.AcceptResult{}, fmt.Errorf("accept: message %d: %w", i, err)
		}
		out[i], contents[i] = m, storedJSON(c)
		total += m.Price
	}

	var balance openwaba.Micros
	// The op may run twice (PostgreSQL's accepts are optimistic batches,
	// see OpenPostgres): it starts from scratch and only one run commits.
	err := s.accepts.do(ctx, func(ctx context.Context, tx *db) error {
		if s.inOneStatement(out) {
			var err error
			balance, err = s.acceptInOne(ctx, tx, accountID, total, out, contents)
			return err
		}
		// Debit first, which locks the balance, and decide on the balance
		// it had: when the money is not there, the op fails and its writes
		// are rolled back.
		err := tx.row(ctx, `UPDATE accounts SET balance = balance - ? WHERE id = ? RETURNING balance`,
			total, accountID).Scan(&balance)
		if err != nil {
			return notFound(err)
		}
		if !openwaba.CanDebit(balance+total, total) {
			return openwaba.ErrInsufficientBalance
		}
		for i := range out {
			if err := s.insertMessage(ctx, tx, &out[i], contents[i]); err != nil {
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

// messageColumns20 are the columns messageArgs fills, in its order.
const messageColumns20 = `account_id, sender, recipient, content, text, encoding, category, price,
	label, foreign_id, performance_tracking, ttl, created_at, scheduled_at, expires_at,
	status, status_rank, status_at, error_code, error_text`

func messageArgs(m *openwaba.Message, content string) []any {
	return []any{m.AccountID, m.Sender, m.Recipient, content, m.Text, m.Encoding, m.Category, m.Price,
		m.Label, m.ForeignID, m.PerformanceTracking, m.TTL.Milliseconds(),
		ms(m.CreatedAt), ms(m.ScheduledAt), ms(m.ExpiresAt),
		m.Status, m.Status.Rank(), ms(m.StatusAt), m.ErrorCode, m.ErrorText}
}

// insertMessage stores m with its first journal entry, its queue row, its
// short links and its debit (the caller reduced the balance), and sets m.ID.
func (s *Store) insertMessage(ctx context.Context, tx *db, m *openwaba.Message, content string) error {
	if err := tx.row(ctx, `INSERT INTO messages (`+messageColumns20+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		messageArgs(m, content)...).Scan(&m.ID); err != nil {
		return s.sentinel(err)
	}
	if err := s.insertLinks(ctx, tx, m); err != nil {
		return err
	}
	if err := journal(ctx, tx, m.ID, m.Status, m.StatusAt, 0, ""); err != nil {
		return err
	}
	if _, err := tx.exec(ctx,
		`INSERT INTO dispatch_queue (message_id, due_at, sender) VALUES (?, ?, ?)`, m.ID, ms(m.ScheduledAt), m.Sender); err != nil {
		return err
	}
	if m.Price > 0 {
		return book(ctx, tx, m.AccountID, -m.Price, openwaba.ReasonDebit, m.ID, m.CreatedAt)
	}
	return nil
}

// maxInOne bounds the messages of one accept statement (20 arguments
// each; PostgreSQL takes 65,535).
const maxInOne = 1000

// inOneStatement reports whether msgs can be accepted in one statement:
// the engine has writable CTEs (PostgreSQL, where each statement is a
// round trip), and no message's first status makes webhook events, whose
// hooks Go must choose (queued and scheduled make none).
func (s *Store) inOneStatement(msgs []openwaba.Message) bool {
	if !s.d.writableCTE || len(msgs) == 0 || len(msgs) > maxInOne {
		return false
	}
	for _, m := range msgs {
		if len(m.Status.HookEvents()) > 0 {
			return false
		}
	}
	return true
}

// acceptInOne is Accept's write in one statement: the debit, the messages,
// their first journal entries, queue rows and ledger rows, in one round
// trip (short links, which are rare, follow one statement each). It
// decides on the balance the debit returns, like the statements it stands
// for; a refusal's writes are rolled back with the op. Identity values are
// drawn in the order of the VALUES rows, so the ids, sorted, are the
// messages' in order.
func (s *Store) acceptInOne(ctx context.Context, tx *db, accountID int64, total openwaba.Micros, out []openwaba.Message, contents []string) (openwaba.Micros, error) {
	var q strings.Builder
	q.WriteString(`WITH a AS (UPDATE accounts SET balance = balance - CAST(?1 AS BIGINT) WHERE id = ?2 RETURNING balance),
	m AS (INSERT INTO messages (` + messageColumns20 + `) VALUES `)
	args := make([]any, 0, 3+20*len(out))
	args = append(args, total, accountID)
	for i := range out {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range 20 {
			if c > 0 {
				q.WriteString(", ")
			}
			q.WriteString("?" + strconv.Itoa(3+20*i+c))
		}
		q.WriteByte(')')
		args = append(args, messageArgs(&out[i], contents[i])...)
	}
	reason := "?" + strconv.Itoa(len(args)+1)
	args = append(args, openwaba.ReasonDebit)
	q.WriteString(` RETURNING id, status, status_at, scheduled_at, sender, price, account_id, created_at),
	j AS (INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		SELECT id, status, status_at, 0, '' FROM m),
	d AS (INSERT INTO dispatch_queue (message_id, due_at, sender) SELECT id, scheduled_at, sender FROM m),
	l AS (INSERT INTO ledger (account_id, amount, reason, message_id, created_at)
		SELECT account_id, -price, ` + reason + `, id, created_at FROM m WHERE price > 0)
	SELECT (SELECT balance FROM a), id FROM m ORDER BY id`)
	type row struct {
		balance sql.NullInt64
		id      int64
	}
	rows, err := all(ctx, tx, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.balance, &r.id)
		return r, err
	}, q.String(), args...)
	if err != nil {
		return 0, s.sentinel(err)
	}
	if len(rows) != len(out) || !rows[0].balance.Valid {
		return 0, fmt.Errorf("accept: %d rows for %d messages: %w", len(rows), len(out), openwaba.ErrNotFound)
	}
	balance := openwaba.Micros(rows[0].balance.Int64)
	if !openwaba.CanDebit(balance+total, total) {
		return 0, openwaba.ErrInsufficientBalance
	}
	for i := range out {
		out[i].ID = rows[i].id
		if err := s.insertLinks(ctx, tx, &out[i]); err != nil {
			return 0, err
		}
	}
	return balance, nil
}

// insertLinks stores m's short links.
func (s *Store) insertLinks(ctx context.Context, tx *db, m *openwaba.Message) error {
	m.Links = slices.Clone(m.Links) // the caller's slice stays as it was
	for i, l := range m.Links {
		_, err := tx.exec(ctx, `INSERT INTO links (code, account_id, message_id, url, created_at) VALUES (?, ?, ?, ?, ?)`,
			l.Code, m.AccountID, m.ID, l.URL, ms(m.CreatedAt))
		if errors.Is(s.sentinel(err), openwaba.ErrConflict) {
			return fmt.Errorf("short link code %s is taken: %w", l.Code, openwaba.ErrConflict)
		}
		if err != nil {
			return err
		}
		m.Links[i].AccountID, m.Links[i].MessageID, m.Links[i].CreatedAt = m.AccountID, m.ID, m.CreatedAt
	}
	return nil
}
