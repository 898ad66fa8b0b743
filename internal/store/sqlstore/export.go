package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/openwaba/openwaba"
)

// Export streams the account's messages both ways in [from, to) in one
// statement: the database orders the union (by time, outbound first, id,
// as openwaba.ConversationCursor.Less does), and the rows are scanned one
// at a time from its cursor into fn. It runs on the read pool, in one
// snapshot.
func (s *Store) Export(ctx context.Context, accountID int64, from, to time.Time, fn func(openwaba.ExportRow) error) error {
	end := int64(math.MaxInt64)
	if !to.IsZero() {
		end = ms(to)
	}
	rows, err := s.read.query(ctx, `
		SELECT 0 AS dir, m.id, m.created_at AS at, m.sender, m.recipient, m.user_id, `+s.d.contentType(`m.content`)+`, m.text,
			m.status, m.charge, m.label, m.foreign_id, coalesce(m.wamid, '')
		FROM messages m
		WHERE m.account_id = ?1 AND m.created_at >= ?2 AND m.created_at < ?3
		UNION ALL
		SELECT 1, i.id, i.sent_at, i.sender, i.from_number, i.user_id, i.type, i.text,
			'', 0, '', '', coalesce(i.wamid, '')
		FROM inbound_messages i
		WHERE i.account_id = ?1 AND i.sent_at >= ?2 AND i.sent_at < ?3
		ORDER BY 3, 1, 2`, accountID, ms(from), end)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r openwaba.ExportRow
		var dir int
		var at int64
		if err := rows.Scan(&dir, &r.ID, &at, &r.Sender, &r.User, &r.UserID, &r.Type, &r.Text,
			&r.Status, &r.Price, &r.Label, &r.ForeignID, &r.WAMID); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		r.Direction, r.At = "out", fromMS(at)
		if dir == 1 {
			r.Direction = "in"
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}
