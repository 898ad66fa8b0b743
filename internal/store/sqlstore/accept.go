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
	err := s.accepts.do(ctx, func(ctx context.Context, tx *db) error {
		// Lock the balance and decide first: when the money is not there,
		// nothing else runs and nothing is written.
		err := tx.row(ctx, `SELECT balance FROM accounts WHERE id = ?`+s.d.lockRows, accountID).Scan(&balance)
		if err != nil {
			return notFound(err)
		}
		if !openwaba.CanDebit(balance, total) {
			return openwaba.ErrInsufficientBalance
		}
		if total != 0 {
			if err := tx.row(ctx, `UPDATE accounts SET balance = balance - ? WHERE id = ? RETURNING balance`,
				total, accountID).Scan(&balance); err != nil {
				return err
			}
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

// insertMessage stores m with its first journal entry, its queue row, its
// short links and its debit (the caller reduced the balance), and sets m.ID.
func (s *Store) insertMessage(ctx context.Context, tx *db, m *openwaba.Message, content string) error {
	err := tx.row(ctx, `
		INSERT INTO messages (account_id, sender, recipient, content, text, encoding, category, price,
			label, foreign_id, performance_tracking, ttl, created_at, scheduled_at, expires_at,
			status, status_rank, status_at, error_code, error_text,
			user_wa_id, user_id, parent_user_id, username, list_price, charge)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		m.AccountID, m.Sender, m.Recipient, content, m.Text, m.Encoding, m.Category, m.Price,
		m.Label, m.ForeignID, m.PerformanceTracking, m.TTL.Milliseconds(),
		ms(m.CreatedAt), ms(m.ScheduledAt), ms(m.ExpiresAt),
		m.Status, m.Status.Rank(), ms(m.StatusAt), m.ErrorCode, m.ErrorText,
		m.User.WaID, m.User.UserID, m.User.ParentUserID, m.User.Username, m.ListPrice, m.Charge).Scan(&m.ID)
	if err != nil {
		return err
	}
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
