package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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

// insertMessageSQL stores one message (the arguments, in this order, are
// messageArgs'), and returns its id.
const insertMessageSQL = `
	INSERT INTO messages (account_id, sender, recipient, content, text, encoding, category, price,
		label, foreign_id, performance_tracking, ttl, created_at, scheduled_at, expires_at,
		status, status_rank, status_at, error_code, error_text)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
	RETURNING id`

// insertMessageCTE is insertMessageSQL with the message's first journal
// entry (no webhook events: see insertMessage), its queue row and its
// debit (when it costs something), in one statement.
const insertMessageCTE = `
	WITH m AS (` + insertMessageSQL + `),
	j AS (INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		SELECT id, ?16, ?18, 0, '' FROM m),
	q AS (INSERT INTO dispatch_queue (message_id, due_at, sender) SELECT id, ?14, ?2 FROM m),
	l AS (INSERT INTO ledger (account_id, amount, reason, message_id, created_at)
		SELECT ?1, -CAST(?8 AS BIGINT), ?21, id, ?13 FROM m WHERE CAST(?8 AS BIGINT) > 0)
	SELECT id FROM m`

func messageArgs(m *openwaba.Message, content string) []any {
	return []any{m.AccountID, m.Sender, m.Recipient, content, m.Text, m.Encoding, m.Category, m.Price,
		m.Label, m.ForeignID, m.PerformanceTracking, m.TTL.Milliseconds(),
		ms(m.CreatedAt), ms(m.ScheduledAt), ms(m.ExpiresAt),
		m.Status, m.Status.Rank(), ms(m.StatusAt), m.ErrorCode, m.ErrorText}
}

// insertMessage stores m with its first journal entry, its queue row, its
// short links and its debit (the caller reduced the balance), and sets m.ID.
// Where the engine has writable CTEs and the first status makes no webhook
// events (queued and scheduled make none), the message, journal, queue and
// debit rows are one statement.
func (s *Store) insertMessage(ctx context.Context, tx *db, m *openwaba.Message, content string) error {
	args := messageArgs(m, content)
	if s.d.writableCTE && len(m.Status.HookEvents()) == 0 {
		if err := tx.row(ctx, insertMessageCTE, append(args, openwaba.ReasonDebit)...).Scan(&m.ID); err != nil {
			return s.sentinel(err)
		}
		return s.insertLinks(ctx, tx, m)
	}
	if err := tx.row(ctx, insertMessageSQL, args...).Scan(&m.ID); err != nil {
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
