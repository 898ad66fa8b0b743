package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

const inboundColumns = `id, account_id, sender, from_number, user_id, parent_user_id, username,
	coalesce(wamid, ''), type, text, payload, profile_name, sent_at, received_at, media, media_file_id, media_error`

func scanInbound(sc scanner) (openwaba.InboundMessage, error) {
	var m openwaba.InboundMessage
	var sent, received int64
	var media string
	err := sc.Scan(&m.ID, &m.AccountID, &m.Sender, &m.From, &m.User.UserID, &m.User.ParentUserID, &m.User.Username,
		&m.WAMID, &m.Type, &m.Text, &m.Payload, &m.ProfileName, &sent, &received, &media, &m.MediaFileID, &m.MediaError)
	if err == nil && media != "" {
		m.Media = new(openwaba.MediaRef)
		err = json.Unmarshal([]byte(media), m.Media)
	}
	if !openwaba.IsBSUID(m.From) {
		m.User.WaID = m.From // the key is the number whenever one is known
	}
	m.SentAt, m.ReceivedAt = fromMS(sent), fromMS(received)
	return m, err
}

// RecordInbound stores m and opens or extends the windows of m.Sender with
// the user (under each of their ids) to m's time: SentAt (WhatsApp's), else
// ReceivedAt, which defaults to now. The user is m.User, or what m.From
// names when User is empty; their ids are linked first (linkUser), and the
// message is kept under the user's key (openwaba.User.Key), so a user
// whose number Meta withholds is kept under their BSUID, never under "".
// A wamid seen before makes it a duplicate and changes nothing; a message
// without wamid is never one. Two nodes receiving the same webhook at once
// are told apart by the unique index: the second insert waits for the
// first and then does nothing. Texts keep U+0000 as U+FFFD
// (openwaba.StoredText): what Meta sends is never refused. A message with
// media (m.Media) queues its download instead of its wa_mo: the webhook
// goes once the file is stored or given up (MediaDownloaded,
// MediaDownloadFailed). What the message does to the user's consent (an
// opt-out keyword, the "Stop promotions" button:
// openwaba.ConsentOfInbound) is applied in the same transaction.
func (s *Store) RecordInbound(ctx context.Context, m openwaba.InboundMessage) (bool, error) {
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = s.now()
	}
	opened := m.SentAt
	if opened.IsZero() {
		opened = m.ReceivedAt
	}
	seen := m.User
	if seen.Zero() {
		seen = openwaba.UserOf(m.From)
	}
	var media []byte
	if m.Media != nil {
		var err error
		if media, err = json.Marshal(m.Media); err != nil {
			return false, fmt.Errorf("record inbound %s: %w", m.WAMID, err)
		}
	}
	var duplicate bool
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		duplicate = false
		waba, err := scopeOf(ctx, tx, m.AccountID, m.Sender)
		if err != nil {
			return err
		}
		user, err := s.linkUser(ctx, tx, m.AccountID, waba, seen, m.ReceivedAt)
		if err != nil {
			return err
		}
		key := user.Key()
		var id int64
		err = tx.row(ctx, `
			INSERT INTO inbound_messages (id, account_id, sender, from_number, user_id, parent_user_id, username,
				wamid, type, text, payload, profile_name, sent_at, received_at, media)
			VALUES (`+tx.d.nextID("inbound_messages")+`, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (wamid) DO NOTHING
			RETURNING id`,
			m.AccountID, m.Sender, key, user.UserID, user.ParentUserID, openwaba.StoredText(user.Username),
			nullString(m.WAMID), m.Type, m.Text, m.Payload, m.ProfileName, ms(m.SentAt), ms(m.ReceivedAt), storedJSON(media)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			duplicate = true
			return nil
		}
		if err != nil {
			return s.sentinel(err)
		}
		if m.Media != nil {
			if _, err := tx.exec(ctx, `INSERT INTO media_downloads (inbound_id, account_id, sender, due_at, created_at)
				VALUES (?, ?, ?, 0, ?)`, id, m.AccountID, m.Sender, ms(m.ReceivedAt)); err != nil {
				return err
			}
		} else if err := enqueue(ctx, tx, m.AccountID, m.Sender, []openwaba.HookEvent{openwaba.HookWAMO}, event{
			OrderKey: openwaba.ConversationOrderKey(m.Sender, key), InboundID: id, CreatedAt: m.ReceivedAt,
		}); err != nil {
			return err
		}
		if err := s.openWindows(ctx, tx, m.Sender, user, opened); err != nil {
			return err
		}
		return inboundConsent(ctx, tx, m, key)
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

// LastInbound returns the message user (any of their ids) sent to sender
// last, by WhatsApp's time (webhooks can arrive out of order); ties go to
// the later arrival.
func (s *Store) LastInbound(ctx context.Context, accountID int64, sender, user string) (openwaba.InboundMessage, error) {
	m, err := s.lastInbound(ctx, accountID, sender, user)
	if err != nil {
		return openwaba.InboundMessage{}, fmt.Errorf("last message from %s to %s: %w", user, sender, notFound(err))
	}
	return m, nil
}

func (s *Store) lastInbound(ctx context.Context, accountID int64, sender, user string) (openwaba.InboundMessage, error) {
	waba, err := scopeOf(ctx, s.read, accountID, sender)
	if err != nil {
		return openwaba.InboundMessage{}, err
	}
	u, _, err := findUser(ctx, s.read, accountID, waba, user)
	if err != nil {
		return openwaba.InboundMessage{}, err
	}
	// Messages are kept under the key the user had when they wrote: any
	// of their ids.
	keys, err := s.list(append(u.IDs(), user))
	if err != nil {
		return openwaba.InboundMessage{}, err
	}
	return scanInbound(s.read.row(ctx, `
		SELECT `+inboundColumns+` FROM inbound_messages
		WHERE account_id = ? AND sender = ? AND from_number `+s.d.in("?")+`
		ORDER BY sent_at DESC, id DESC LIMIT 1`, accountID, sender, keys))
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
