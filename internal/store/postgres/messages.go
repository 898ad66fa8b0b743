package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

// getMessage reads one message of the account with q (the pool or a tx).
func getMessage(ctx context.Context, q queryer, accountID, id int64) (openwaba.Message, error) {
	m, err := scanMessage(q.QueryRow(ctx,
		`SELECT `+messageColumns+` FROM messages m WHERE m.id = $1 AND m.account_id = $2`, id, accountID))
	return m, notFound(err)
}

// Accept stores and queues msgs and debits their total price in one
// transaction, shared with the other requests waiting at that moment (see
// accept.go). Each message is stored as given, with the account, an ID,
// StatusAt = CreatedAt and the fields of a fresh message (no WAMID,
// attempts or refund); CreatedAt defaults to now, ScheduledAt to CreatedAt,
// and Status to queued, or scheduled when ScheduledAt is after CreatedAt.
// Times are truncated to milliseconds, as stored.
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

	r := &acceptReq{accountID: accountID, total: total, msgs: out, contents: contents}
	err := s.accepter.do(ctx, r)
	if err != nil {
		return openwaba.AcceptResult{}, fmt.Errorf("accept for account %d: %w", accountID, err)
	}
	return openwaba.AcceptResult{Messages: out, Balance: r.balance}, nil
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
	m.Links = slices.Clone(m.Links) // the caller's slice stays as it was
	return m, nil
}

// insertMessageSQL stores one message with its first journal entry, its
// queue row and its ledger entry (acceptBatch reduces the balance) in one
// statement, so that a request's messages go in one round trip. The
// parts for the webhook deliveries of the first status and for short
// links are added only to the messages that have them (see insertSQL):
// most have neither, and their statement stays this lean.
const insertMessageSQL = `
	WITH m AS (
		INSERT INTO messages (account_id, sender, recipient, content, text, encoding, category, price,
			label, foreign_id, performance_tracking, ttl, created_at, scheduled_at, expires_at,
			status, status_rank, status_at, error_code, error_text)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		RETURNING id),
	journal AS (
		INSERT INTO message_statuses (message_id, status, at) SELECT id, $16, $18 FROM m),
	queue AS (
		INSERT INTO dispatch_queue (message_id, due_at, sender) SELECT id, $14, $2 FROM m),
	debit AS (
		INSERT INTO ledger (account_id, amount, reason, message_id, created_at)
		SELECT $1, -$8::bigint, $21, id, $13 FROM m WHERE $8::bigint > 0)`

// insertOutboxSQL puts the deliveries of the first status (its events in
// $22, in that order) in the outbox, as journal does for later ones.
const insertOutboxSQL = `,
	outbox AS (
		INSERT INTO webhook_outbox (hook_id, event, order_key, message_id, status, status_at, created_at, due_at)
		SELECT h.id, e.ev, 'm' || m.id, m.id, $16, $18, $18, 0
		FROM m CROSS JOIN unnest($22::text[]) WITH ORDINALITY AS e (ev, n)
		JOIN hooks h ON h.account_id = $1 AND h.event_type IN (e.ev, 'all') AND h.event_filter IN ('', $2)
		ORDER BY e.n, h.id)`

// insertLinksSQL stores the short links (codes and URLs in the two arrays
// at $N); a code that is taken fails the statement (links_pkey).
const insertLinksSQL = `,
	links AS (
		INSERT INTO links (code, account_id, message_id, url, created_at)
		SELECT l.code, $1, m.id, l.url, $13 FROM m CROSS JOIN unnest($N::text[], $N1::text[]) AS l (code, url))`

// insertSQL are the statements for messages without and with webhook
// events (bit 0) and short links (bit 1).
var insertSQL = func() (qs [4]string) {
	for i := range qs {
		q, next := insertMessageSQL, 22
		if i&1 != 0 {
			q += insertOutboxSQL
			next++
		}
		if i&2 != 0 {
			q += strings.NewReplacer("$N1", fmt.Sprint("$", next+1), "$N", fmt.Sprint("$", next)).Replace(insertLinksSQL)
		}
		qs[i] = q + `
	SELECT id FROM m`
	}
	return qs
}()

// queueMessages adds the statements that store msgs (see
// insertMessageSQL) and set their IDs, and those of their links, to b.
func queueMessages(b *pgx.Batch, msgs []openwaba.Message, contents []string) {
	for i := range msgs {
		m := &msgs[i]
		args := []any{
			m.AccountID, m.Sender, m.Recipient, contents[i], m.Text, m.Encoding, m.Category, m.Price,
			m.Label, m.ForeignID, m.PerformanceTracking, m.TTL.Milliseconds(),
			ms(m.CreatedAt), ms(m.ScheduledAt), ms(m.ExpiresAt),
			m.Status, m.Status.Rank(), ms(m.StatusAt), m.ErrorCode, m.ErrorText,
			openwaba.ReasonDebit,
		}
		variant := 0
		if events := statusEvents(m.Status); len(events) > 0 {
			variant |= 1
			args = append(args, events)
		}
		if len(m.Links) > 0 {
			variant |= 2
			codes, urls := make([]string, len(m.Links)), make([]string, len(m.Links))
			for j, l := range m.Links {
				codes[j], urls[j] = l.Code, l.URL
			}
			args = append(args, codes, urls)
		}
		b.Queue(insertSQL[variant], args...).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&m.ID); err != nil {
				return err
			}
			for j := range m.Links {
				m.Links[j].AccountID, m.Links[j].MessageID, m.Links[j].CreatedAt = m.AccountID, m.ID, m.CreatedAt
			}
			return nil
		})
	}
}

// linkTaken reports whether err is the insert of a short link whose code
// another message has.
func linkTaken(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == uniqueViolation && pg.ConstraintName == "links_pkey"
}

// Message returns a message of the account.
func (s *Store) Message(ctx context.Context, accountID int64, id int64) (openwaba.Message, error) {
	m, err := getMessage(ctx, s.pool, accountID, id)
	if err != nil {
		return openwaba.Message{}, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// MessageByWAMID finds a message of the account by its WhatsApp id.
func (s *Store) MessageByWAMID(ctx context.Context, accountID int64, wamid string) (openwaba.Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `
		SELECT `+messageColumns+` FROM messages m
		WHERE m.wamid = $1 AND m.account_id = $2 ORDER BY m.id DESC LIMIT 1`, wamid, accountID))
	if err != nil {
		return openwaba.Message{}, fmt.Errorf("message %s: %w", wamid, notFound(err))
	}
	return m, nil
}

// StatusHistory returns the message's journal in the order the statuses
// were recorded (see the schema: each status once, repeats dropped).
func (s *Store) StatusHistory(ctx context.Context, accountID int64, id int64) ([]openwaba.StatusEvent, error) {
	// One snapshot for the ownership check and the journal.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var one int
	err = tx.QueryRow(ctx, `SELECT 1 FROM messages WHERE id = $1 AND account_id = $2`, id, accountID).Scan(&one)
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, notFound(err))
	}
	rows, err := tx.Query(ctx, `
		SELECT message_id, status, at, error_code, error_text
		FROM message_statuses WHERE message_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	es, err := collect(rows, func(sc scanner) (openwaba.StatusEvent, error) {
		var e openwaba.StatusEvent
		var at int64
		err := sc.Scan(&e.MessageID, &e.Status, &at, &e.ErrorCode, &e.ErrorText)
		e.At = fromMS(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("status history of message %d: %w", id, err)
	}
	return es, nil
}

// Cancel deletes a message that is still waiting in the queue and not
// leased at now, refunds it once and ends it as deleted. The queue row is
// locked first: a claimer either has it already (then its lease shows, and
// the answer is ErrAlreadySent) or skips it (SKIP LOCKED) and never sees
// it again.
func (s *Store) Cancel(ctx context.Context, accountID int64, id int64, now time.Time) (openwaba.Message, error) {
	var m openwaba.Message
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM messages WHERE id = $1 AND account_id = $2`, id, accountID).Scan(&one)
		if err != nil {
			return notFound(err)
		}
		var leaseUntil int64
		err = tx.QueryRow(ctx,
			`SELECT lease_until FROM dispatch_queue WHERE message_id = $1 FOR UPDATE`, id).Scan(&leaseUntil)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && leaseUntil > ms(now)) {
			// Out of the queue (submitted or ended) or in a dispatcher's hands.
			return openwaba.ErrAlreadySent
		}
		if err != nil {
			return err
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
	q := `SELECT ` + messageColumns + ` FROM messages m WHERE m.account_id = $1`
	args := []any{accountID}
	arg := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(cond, len(args))
	}
	if f.ForeignID != "" {
		arg(` AND m.foreign_id = $%d`, f.ForeignID)
	}
	if f.Label != "" {
		arg(` AND m.label = $%d`, f.Label)
	}
	if !f.From.IsZero() {
		arg(` AND m.created_at >= $%d`, ms(f.From))
	}
	if !f.To.IsZero() {
		arg(` AND m.created_at < $%d`, ms(f.To))
	}
	if f.Before > 0 {
		arg(` AND m.id < $%d`, f.Before)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	arg(` ORDER BY m.id DESC LIMIT $%d`, f.Limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	msgs, err := collect(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return msgs, nil
}
