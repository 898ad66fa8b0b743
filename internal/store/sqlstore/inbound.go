package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

const inboundColumns = `id, account_id, sender, from_number, coalesce(wamid, ''), type, text, payload,
	profile_name, sent_at, received_at`

func scanInbound(sc scanner) (openwaba.InboundMessage, error) {
	var m openwaba.InboundMessage
	var sent, received int64
	err := sc.Scan(&m.ID, &m.AccountID, &m.Sender, &m.From, &m.WAMID, &m.Type, &m.Text, &m.Payload,
		&m.ProfileName, &sent, &received)
	m.SentAt, m.ReceivedAt = fromMS(sent), fromMS(received)
	return m, err
}

// RecordInbound stores m and opens or extends the window of (m.Sender,
// m.From) to m's time: SentAt (WhatsApp's), else ReceivedAt, which defaults
// to now. A wamid seen before makes it a duplicate and changes nothing; a
// message without wamid is never one. Two nodes receiving the same webhook
// at once are told apart by the unique index: the second insert waits for
// the first and then does nothing. Texts keep U+0000 as U+FFFD
// (openwaba.StoredText): what Meta sends is never refused.
func (s *Store) RecordInbound(ctx context.Context, m openwaba.InboundMessage) (bool, error) {
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = s.now()
	}
	opened := m.SentAt
	if opened.IsZero() {
		opened = m.ReceivedAt
	}
	var duplicate bool
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		duplicate = false
		var id int64
		err := tx.row(ctx, `
			INSERT INTO inbound_messages (account_id, sender, from_number, wamid, type, text, payload,
				profile_name, sent_at, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (wamid) DO NOTHING
			RETURNING id`,
			m.AccountID, m.Sender, m.From, nullString(m.WAMID), m.Type, m.Text, m.Payload,
			m.ProfileName, ms(m.SentAt), ms(m.ReceivedAt)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			duplicate = true
			return nil
		}
		if err != nil {
			return s.sentinel(err)
		}
		if err := enqueue(ctx, tx, m.AccountID, m.Sender, []openwaba.HookEvent{openwaba.HookWAMO}, event{
			OrderKey: openwaba.ConversationOrderKey(m.Sender, m.From), InboundID: id, CreatedAt: m.ReceivedAt,
		}); err != nil {
			return err
		}
		// The later of the two: webhooks arrive out of order, and an old
		// message must not shorten the window a newer one opened.
		_, err = tx.exec(ctx, `
			INSERT INTO windows (sender, user_number, last_inbound_at) VALUES (?, ?, ?)
			ON CONFLICT (sender, user_number) DO UPDATE
			SET last_inbound_at = `+s.d.greatest+`(windows.last_inbound_at, excluded.last_inbound_at)`,
			m.Sender, m.From, ms(opened))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record inbound %s: %w", m.WAMID, err)
	}
	return duplicate, nil
}

// WindowOpenUntil returns when the customer service window of (sender,
// user) closes: ConversationWindow after the user's last message; the zero
// time if the user never wrote.
func (s *Store) WindowOpenUntil(ctx context.Context, sender, user string) (time.Time, error) {
	var last int64
	err := s.read.row(ctx,
		`SELECT last_inbound_at FROM windows WHERE sender = ? AND user_number = ?`, sender, user).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("window of %s with %s: %w", sender, user, err)
	}
	return fromMS(last).Add(openwaba.ConversationWindow), nil
}

// LastInbound returns the message user sent to sender last, by WhatsApp's
// time (webhooks can arrive out of order); ties go to the later arrival.
func (s *Store) LastInbound(ctx context.Context, accountID int64, sender, user string) (openwaba.InboundMessage, error) {
	m, err := scanInbound(s.read.row(ctx, `
		SELECT `+inboundColumns+` FROM inbound_messages
		WHERE account_id = ? AND sender = ? AND from_number = ?
		ORDER BY sent_at DESC, id DESC LIMIT 1`, accountID, sender, user))
	if err != nil {
		return openwaba.InboundMessage{}, fmt.Errorf("last message from %s to %s: %w", user, sender, notFound(err))
	}
	return m, nil
}

// InboundByWAMID finds an inbound message of the account.
func (s *Store) InboundByWAMID(ctx context.Context, accountID int64, wamid string) (openwaba.InboundMessage, error) {
	m, err := scanInbound(s.read.row(ctx,
		`SELECT `+inboundColumns+` FROM inbound_messages WHERE wamid = ? AND account_id = ?`,
		nullString(wamid), accountID))
	if err != nil {
		return openwaba.InboundMessage{}, fmt.Errorf("inbound message %s: %w", wamid, notFound(err))
	}
	return m, nil
}

// InboundByID finds an inbound message of the account by its id.
func (s *Store) InboundByID(ctx context.Context, accountID, id int64) (openwaba.InboundMessage, error) {
	m, err := scanInbound(s.read.row(ctx,
		`SELECT `+inboundColumns+` FROM inbound_messages WHERE id = ? AND account_id = ?`, id, accountID))
	if err != nil {
		return openwaba.InboundMessage{}, fmt.Errorf("inbound message %d: %w", id, notFound(err))
	}
	return m, nil
}
