package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/openwaba/openwaba"
)

// Accept stores and queues msgs and debits their total price, or nothing
// with ErrInsufficientBalance (openwaba.CanDebit decides). Each message is
// stored as openwaba.NewMessage makes it. It returns once the commit is
// durable.
//
// Accepts are written in groups (batch.Group): the requests that arrive
// while one group is written form the next, and a group is one write. On
// PostgreSQL that is a handful of statements for the whole group; on
// SQLite one op of the single writer.
func (s *Store) Accept(ctx context.Context, accountID int64, msgs []openwaba.Message) (openwaba.AcceptResult, error) {
	now := s.now()
	r := &acceptReq{accountID: accountID, msgs: make([]openwaba.Message, len(msgs)), contents: make([]string, len(msgs))}
	for i, m := range msgs {
		m, err := openwaba.NewMessage(m, accountID, now)
		if err != nil {
			return openwaba.AcceptResult{}, fmt.Errorf("accept: message %d: %w", i, err)
		}
		c, err := json.Marshal(m.Content)
		if err != nil {
			return openwaba.AcceptResult{}, fmt.Errorf("accept: message %d: %w", i, err)
		}
		r.msgs[i], r.contents[i] = m, storedJSON(c)
		r.total += m.Price
	}
	if err := s.acceptGroup.Do(ctx, r); err != nil {
		return openwaba.AcceptResult{}, fmt.Errorf("accept for account %d: %w", accountID, err)
	}
	return openwaba.AcceptResult{Messages: r.msgs, Balance: r.balance}, nil
}

// acceptReq is one Accept in a group.
type acceptReq struct {
	accountID int64
	total     openwaba.Micros
	msgs      []openwaba.Message // with IDs once written
	contents  []string
	balance   openwaba.Micros // after this request's debit
}

// flushAccepts writes a group of accepts in one write. If that write fails
// for another reason than a refusal (a value the database refuses, a short
// link code that is taken), each request runs alone (writeGroup), so that
// one bad request cannot fail the others. The write may run more than
// once (a retried deadlock): it starts from scratch.
func (s *Store) flushAccepts(reqs []*acceptReq) []error {
	return writeGroup(reqs, func(reqs []*acceptReq, errs []error) error {
		return s.accepts.do(context.Background(), func(ctx context.Context, tx *db) error {
			clear(errs)
			return s.writeAccepts(ctx, tx, reqs, errs)
		})
	})
}

// writeAccepts locks the accounts of reqs in id order (so that groups of
// several nodes wait for each other but cannot deadlock), decides each
// request against the balance the ones before it left, and writes the
// accepted ones and their debits; errs gets each refusal, which writes
// nothing.
func (s *Store) writeAccepts(ctx context.Context, tx *db, reqs []*acceptReq, errs []error) error {
	var ids []int64
	for _, r := range reqs {
		ids = append(ids, r.accountID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	list, err := s.list(ids)
	if err != nil {
		return err
	}
	type account struct {
		id      int64
		balance openwaba.Micros
	}
	locked, err := all(ctx, tx, func(sc scanner) (account, error) {
		var a account
		err := sc.Scan(&a.id, &a.balance)
		return a, err
	}, `SELECT id, balance FROM accounts WHERE id `+s.d.in("?")+` ORDER BY id`+s.d.lockRows, list)
	if err != nil {
		return err
	}
	balances := map[int64]openwaba.Micros{}
	for _, a := range locked {
		balances[a.id] = a.balance
	}
	debits := map[int64]openwaba.Micros{}
	var accepted []*acceptReq
	for i, r := range reqs {
		balance, ok := balances[r.accountID]
		switch {
		case !ok:
			errs[i] = openwaba.ErrNotFound
			continue
		case !openwaba.CanDebit(balance, r.total):
			errs[i] = openwaba.ErrInsufficientBalance
			continue
		}
		balances[r.accountID] = balance - r.total
		debits[r.accountID] += r.total
		r.balance = balance - r.total
		accepted = append(accepted, r)
	}
	for _, id := range ids {
		if d := debits[id]; d != 0 {
			if _, err := tx.exec(ctx, `UPDATE accounts SET balance = balance - ? WHERE id = ?`, d, id); err != nil {
				return err
			}
		}
	}
	var msgs []*openwaba.Message
	var contents []string
	for _, r := range accepted {
		for i := range r.msgs {
			msgs, contents = append(msgs, &r.msgs[i]), append(contents, r.contents[i])
		}
	}
	// One rule for both engines: a group whose messages make no webhook
	// events at their first status is written a fixed few statements per
	// row kind, not four per message; how is the engine's (writableCTE).
	if noEvents(msgs) {
		if !s.d.writableCTE {
			return s.insertRows(ctx, tx, msgs, contents)
		}
		for len(msgs) > 0 {
			n := min(len(msgs), maxInOne)
			if err := s.insertMany(ctx, tx, msgs[:n], contents[:n]); err != nil {
				return err
			}
			msgs, contents = msgs[n:], contents[n:]
		}
		return nil
	}
	for i, m := range msgs {
		if err := s.insertMessage(ctx, tx, m, contents[i]); err != nil {
			return err
		}
	}
	return nil
}

// insertColumns are the columns messageArgs fills, in its order;
// insertArity is their number.
const insertColumns = `account_id, sender, recipient, content, text, encoding, category, price,
	label, foreign_id, performance_tracking, ttl, created_at, scheduled_at, expires_at,
	status, status_rank, status_at, error_code, error_text,
	user_wa_id, user_id, parent_user_id, username, list_price, charge`

const insertArity = 26

func messageArgs(m *openwaba.Message, content string) []any {
	return []any{m.AccountID, m.Sender, m.Recipient, content, m.Text, m.Encoding, m.Category, m.Price,
		m.Label, m.ForeignID, m.PerformanceTracking, m.TTL.Milliseconds(),
		ms(m.CreatedAt), ms(m.ScheduledAt), ms(m.ExpiresAt),
		m.Status, m.Status.Rank(), ms(m.StatusAt), m.ErrorCode, m.ErrorText,
		m.User.WaID, m.User.UserID, m.User.ParentUserID, m.User.Username, m.ListPrice, m.Charge}
}

// insertPlaceholders is "(?, ?, …)" for one row of insertColumns.
var insertPlaceholders = "(" + strings.TrimSuffix(strings.Repeat("?, ", insertArity), ", ") + ")"

// insertMessage stores m with its first journal entry, its queue row, its
// short links and its debit (the caller reduced the balance), and sets m.ID.
func (s *Store) insertMessage(ctx context.Context, tx *db, m *openwaba.Message, content string) error {
	if err := tx.row(ctx, `INSERT INTO messages (id, `+insertColumns+`) VALUES (`+tx.d.nextID("messages")+`, `+insertPlaceholders[1:]+` RETURNING id`,
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

// maxInOne bounds the messages of one insert statement (insertArity
// arguments each; PostgreSQL takes 65,535).
const maxInOne = 1000

// noEvents reports whether no message's first status makes webhook events,
// whose hooks Go must choose (queued and scheduled make none).
func noEvents(msgs []*openwaba.Message) bool {
	for _, m := range msgs {
		if len(m.Status.HookEvents()) > 0 {
			return false
		}
	}
	return true
}

// insertMany stores msgs with their first journal entries, queue rows and
// ledger rows in one statement, where the engine has writable CTEs
// (PostgreSQL, where each statement is a round trip); short links, which
// are rare, follow one statement each. Identity values are drawn in the
// order of the VALUES rows, so the ids, sorted, are the messages' in order.
func (s *Store) insertMany(ctx context.Context, tx *db, msgs []*openwaba.Message, contents []string) error {
	var q strings.Builder
	q.WriteString(`WITH m AS (INSERT INTO messages (` + insertColumns + `) VALUES `)
	args := make([]any, 0, 1+insertArity*len(msgs))
	for i, m := range msgs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range insertArity {
			if c > 0 {
				q.WriteString(", ")
			}
			q.WriteString("?" + strconv.Itoa(1+insertArity*i+c))
		}
		q.WriteByte(')')
		args = append(args, messageArgs(m, contents[i])...)
	}
	reason := "?" + strconv.Itoa(len(args)+1)
	args = append(args, openwaba.ReasonDebit)
	q.WriteString(` RETURNING id, status, status_at, scheduled_at, sender, price, account_id, created_at),
	j AS (INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		SELECT id, status, status_at, 0, '' FROM m),
	d AS (INSERT INTO dispatch_queue (message_id, due_at, sender) SELECT id, scheduled_at, sender FROM m),
	l AS (INSERT INTO ledger (account_id, amount, reason, message_id, created_at)
		SELECT account_id, -price, ` + reason + `, id, created_at FROM m WHERE price > 0)
	SELECT id FROM m ORDER BY id`)
	ids, err := all(ctx, tx, scanValue[int64], q.String(), args...)
	if err != nil {
		return s.sentinel(err)
	}
	if len(ids) != len(msgs) {
		return fmt.Errorf("accept: %d ids for %d messages", len(ids), len(msgs))
	}
	for i, m := range msgs {
		m.ID = ids[i]
		if err := s.insertLinks(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

// maxRowsPerInsert bounds the rows of one multi-row INSERT on SQLite:
// insertArity+1 arguments each (6,912 for 256 rows, far below the 32,766
// SQLite takes), and a statement text that prepares quickly.
const maxRowsPerInsert = 256

// rowInsertTexts[k] inserts 1<<k messages with explicit ids: the sizes a
// group is cut into are powers of two, so that the connections' prepared
// statements stay a fixed few (bits.Len(maxRowsPerInsert) texts).
var rowInsertTexts = func() []string {
	var texts []string
	row := "(?, " + insertPlaceholders[1:]
	for n := 1; n <= maxRowsPerInsert; n *= 2 {
		texts = append(texts, `INSERT INTO messages (id, `+insertColumns+`) VALUES `+
			strings.TrimSuffix(strings.Repeat(row+", ", n), ", "))
	}
	return texts
}()

// insertRows stores msgs with their first journal entries, queue rows and
// ledger rows where the engine has no writable CTEs (SQLite): the
// messages in multi-row INSERTs of 1, 2, 4, … 256 rows, then the other
// three kinds one INSERT … SELECT each over the messages just written;
// short links, which are rare, follow one statement each.
//
// The ids are given, not drawn: SQLite does not promise the order of
// RETURNING rows, so the ids returned could not be matched to the
// messages. They follow the largest id given so far (sqliteLastID, which
// an erased message's id counts in), read inside this write transaction,
// which holds SQLite's only write lock: no other writer can take one of
// them, and they ascend in the order of msgs.
func (s *Store) insertRows(ctx context.Context, tx *db, msgs []*openwaba.Message, contents []string) error {
	if len(msgs) == 0 {
		return nil // every request of the group was refused
	}
	var last int64
	if err := tx.row(ctx, sqliteLastID("messages")).Scan(&last); err != nil {
		return fmt.Errorf("accept: last message id: %w", err)
	}
	if last > math.MaxInt64-int64(len(msgs)) {
		return fmt.Errorf("accept: message ids after %d are exhausted", last)
	}
	first := last + 1
	args := make([]any, 0, (1+insertArity)*min(len(msgs), maxRowsPerInsert))
	for i := 0; i < len(msgs); {
		k := min(bits.Len(uint(len(msgs)-i)), len(rowInsertTexts)) - 1
		n := 1 << k
		args = args[:0]
		for j := i; j < i+n; j++ {
			args = append(args, first+int64(j))
			args = append(args, messageArgs(msgs[j], contents[j])...)
		}
		if _, err := tx.exec(ctx, rowInsertTexts[k], args...); err != nil {
			return s.sentinel(err)
		}
		i += n
	}
	last += int64(len(msgs))
	// ORDER BY id: the journal and ledger rows get their ids in the
	// messages' order, as one statement per message gave them.
	if _, err := tx.exec(ctx, `INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		SELECT id, status, status_at, 0, '' FROM messages WHERE id BETWEEN ? AND ? ORDER BY id`, first, last); err != nil {
		return fmt.Errorf("accept: journal: %w", err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO dispatch_queue (message_id, due_at, sender)
		SELECT id, scheduled_at, sender FROM messages WHERE id BETWEEN ? AND ? ORDER BY id`, first, last); err != nil {
		return fmt.Errorf("accept: queue: %w", err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO ledger (account_id, amount, reason, message_id, created_at)
		SELECT account_id, -price, ?, id, created_at FROM messages WHERE id BETWEEN ? AND ? AND price > 0 ORDER BY id`,
		openwaba.ReasonDebit, first, last); err != nil {
		return fmt.Errorf("accept: ledger: %w", err)
	}
	for i, m := range msgs {
		m.ID = first + int64(i)
		if err := s.insertLinks(ctx, tx, m); err != nil {
			return err
		}
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
