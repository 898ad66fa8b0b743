package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"

	"github.com/openwaba/openwaba"
)

// userKeys are the ids a user's messages may be kept under: id and every
// id linked to it, in the WABA of the account's sender number when sender
// is given, else in any WABA of the account. Inbound messages are kept
// under the key the user had when they wrote, outbound ones under the
// recipient the request named, so a user's history is the union.
func userKeys(ctx context.Context, c *db, accountID int64, sender, id string) ([]string, openwaba.User, error) {
	var rows []userRow
	var err error
	if sender != "" {
		waba, err := scopeOf(ctx, c, accountID, sender)
		if err != nil {
			return nil, openwaba.User{}, err
		}
		rows, err = usersWithIDs(ctx, c, accountID, waba, []string{id})
		if err != nil {
			return nil, openwaba.User{}, err
		}
	} else {
		rows, err = all(ctx, c, scanUserRow, `
			SELECT id, coalesce(wa_id, ''), coalesce(user_id, ''), coalesce(parent_user_id, ''), username
			FROM wa_users WHERE account_id = ?1 AND (wa_id = ?2 OR user_id = ?2 OR parent_user_id = ?2)`, accountID, id)
		if err != nil {
			return nil, openwaba.User{}, err
		}
		sortUserRows(rows)
	}
	u := openwaba.UserOf(id)
	if len(rows) > 0 {
		u = rows[0].User
	}
	keys := []string{id}
	for _, r := range rows {
		keys = append(keys, r.IDs()...)
	}
	slices.Sort(keys)
	return slices.Compact(keys), u, nil
}

// InboundMessages lists the account's inbound messages matching f, newest
// first, at most f.Limit (100 when zero).
func (s *Store) InboundMessages(ctx context.Context, accountID int64, f openwaba.InboundFilter) ([]openwaba.InboundMessage, error) {
	q := `SELECT ` + inboundColumns + ` FROM inbound_messages i WHERE account_id = ?`
	args := []any{accountID}
	where := func(cond string, v any) {
		q += ` AND ` + cond
		args = append(args, v)
	}
	if f.Sender != "" {
		where(`sender = ?`, f.Sender)
	}
	if f.User != "" {
		keys, _, err := userKeys(ctx, s.read, accountID, f.Sender, f.User)
		if err != nil {
			return nil, fmt.Errorf("list inbound messages of %s: %w", f.User, err)
		}
		list, err := s.list(keys)
		if err != nil {
			return nil, err
		}
		n := fmt.Sprintf("?%d", len(args)+1)
		q += ` AND (from_number ` + s.d.in(n) + ` OR user_id ` + s.d.in(n) + ` OR parent_user_id ` + s.d.in(n) + `)`
		args = append(args, list)
	}
	if f.Type != "" {
		where(`type = ?`, f.Type)
	}
	if !f.From.IsZero() {
		where(`sent_at >= ?`, ms(f.From))
	}
	if !f.To.IsZero() {
		where(`sent_at < ?`, ms(f.To))
	}
	if f.Replies {
		// Written to before: an outbound message from the sender number
		// to the user (under the key they wrote with, or a BSUID they
		// have) accepted before the user's message.
		q += ` AND EXISTS (SELECT 1 FROM messages m WHERE m.account_id = i.account_id AND m.sender = i.sender
			AND (m.recipient = i.from_number OR m.user_wa_id = i.from_number
				OR (i.user_id != '' AND (m.recipient = i.user_id OR m.user_id = i.user_id)))
			AND m.created_at <= i.sent_at)`
	}
	if f.Before > 0 {
		where(`id < ?`, f.Before)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ? OFFSET ?`
	args = append(args, f.Limit, max(f.Offset, 0))
	out, err := all(ctx, s.read, scanInbound, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list inbound messages: %w", err)
	}
	return out, nil
}

// recipientIn is the condition "the message went to one of the ids of list
// argument n": as the request named them, or as the status reports did.
func recipientIn(d *dialect, n string) string {
	return `(m.recipient ` + d.in(n) + ` OR m.user_wa_id ` + d.in(n) + ` OR m.user_id ` + d.in(n) +
		` OR m.parent_user_id ` + d.in(n) + `)`
}

// Conversation returns the newest f.Limit entries before f.Before of the
// conversation between f.Sender and the user f.User names, oldest first.
// Each side is read newest first, one more than the page holds, and the
// two are merged by openwaba.MergeConversation; all reads are one
// snapshot.
func (s *Store) Conversation(ctx context.Context, f openwaba.ConversationFilter) (openwaba.Conversation, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	conv, err := readTx(ctx, s.read, func(c *db) (openwaba.Conversation, error) {
		keys, u, err := userKeys(ctx, c, f.AccountID, f.Sender, f.User)
		if err != nil {
			return openwaba.Conversation{}, err
		}
		list, err := s.list(keys)
		if err != nil {
			return openwaba.Conversation{}, err
		}
		// Entries strictly before the cursor (see ConversationCursor.Less):
		// at < cursor, or at the cursor's time with a smaller id on the
		// cursor's side, every outbound one when the cursor is inbound, no
		// inbound one when it is outbound.
		at, inID, outID := int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64)
		if !f.Before.Zero() {
			at = ms(f.Before.At)
			if f.Before.Inbound {
				inID = f.Before.ID
			} else {
				inID, outID = 0, f.Before.ID
			}
		}
		in, err := all(ctx, c, scanInbound, `
			SELECT `+inboundColumns+` FROM inbound_messages
			WHERE account_id = ?1 AND sender = ?2
			AND (from_number `+s.d.in("?3")+` OR user_id `+s.d.in("?3")+` OR parent_user_id `+s.d.in("?3")+`)
			AND (sent_at < ?4 OR (sent_at = ?4 AND id < ?5))
			ORDER BY sent_at DESC, id DESC LIMIT ?6`, f.AccountID, f.Sender, list, at, inID, f.Limit+1)
		if err != nil {
			return openwaba.Conversation{}, err
		}
		out, err := all(ctx, c, scanMessage, `
			SELECT `+messageColumns+` FROM messages m
			WHERE m.account_id = ?1 AND m.sender = ?2 AND `+recipientIn(s.d, "?3")+`
			AND (m.created_at < ?4 OR (m.created_at = ?4 AND m.id < ?5))
			ORDER BY m.created_at DESC, m.id DESC LIMIT ?6`, f.AccountID, f.Sender, list, at, outID, f.Limit+1)
		if err != nil {
			return openwaba.Conversation{}, err
		}
		entries, more := openwaba.MergeConversation(in, out, f.Limit)
		var ids []int64
		for _, e := range entries {
			if e.Outbound != nil {
				ids = append(ids, e.Outbound.ID)
			}
		}
		if len(ids) > 0 {
			idList, err := s.list(ids)
			if err != nil {
				return openwaba.Conversation{}, err
			}
			es, err := all(ctx, c, scanStatusEvent, `SELECT message_id, status, at, error_code, error_text
				FROM message_statuses WHERE message_id `+s.d.in("?")+` ORDER BY id`, idList)
			if err != nil {
				return openwaba.Conversation{}, err
			}
			byMessage := map[int64][]openwaba.StatusEvent{}
			for _, e := range es {
				byMessage[e.MessageID] = append(byMessage[e.MessageID], e)
			}
			for i, e := range entries {
				if e.Outbound != nil {
					entries[i].Statuses = byMessage[e.Outbound.ID]
				}
			}
		}
		var last int64
		if err := c.row(ctx, `SELECT coalesce(max(last_inbound_at), 0) FROM windows
			WHERE sender = ? AND user_number `+s.d.in("?"), f.Sender, list).Scan(&last); err != nil {
			return openwaba.Conversation{}, err
		}
		conv := openwaba.Conversation{Sender: f.Sender, User: u, Entries: entries}
		if last > 0 {
			conv.WindowOpenUntil = fromMS(last).Add(openwaba.ConversationWindow)
		}
		if more && len(entries) > 0 {
			conv.Next = entries[0].Cursor()
		}
		return conv, nil
	})
	if err != nil {
		return openwaba.Conversation{}, fmt.Errorf("conversation of %s with %s: %w", f.Sender, f.User, err)
	}
	return conv, nil
}

func scanStatusEvent(sc scanner) (openwaba.StatusEvent, error) {
	var e openwaba.StatusEvent
	var at int64
	err := sc.Scan(&e.MessageID, &e.Status, &at, &e.ErrorCode, &e.ErrorText)
	e.At = fromMS(at)
	return e, err
}

// readTx runs fn in one read-only transaction of c, so that what it reads
// comes from one snapshot.
func readTx[T any](ctx context.Context, c *db, fn func(c *db) (T, error)) (T, error) {
	var zero T
	tx, err := c.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return zero, err
	}
	defer tx.Rollback()
	return fn(c.in(tx))
}
