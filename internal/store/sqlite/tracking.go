package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

const linkColumns = `l.code, l.url, l.account_id, l.message_id, l.clicks, l.views, l.created_at`

func scanLink(sc scanner) (openwaba.Link, error) {
	var l openwaba.Link
	var created int64
	err := sc.Scan(&l.Code, &l.URL, &l.AccountID, &l.MessageID, &l.Clicks, &l.Views, &created)
	l.CreatedAt = fromMS(created)
	return l, err
}

// Link finds a short link by its code.
func (s *Store) Link(ctx context.Context, code string) (openwaba.Link, error) {
	l, err := scanLink(s.read.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM links l WHERE l.code = ?`, code))
	if err != nil {
		return openwaba.Link{}, fmt.Errorf("link %s: %w", code, notFound(err))
	}
	return l, nil
}

// RecordClick counts a request of the link, keeps it with the link's new
// counts, and puts a tracking event in the outbox of the account's hooks
// (filtered by the message's sender), all in one transaction.
func (s *Store) RecordClick(ctx context.Context, code string, at time.Time, userAgent string, bot bool) (openwaba.Click, error) {
	c := openwaba.Click{At: at, UserAgent: userAgent, Bot: bot}
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		clicks, views := 1, 0
		if bot {
			clicks, views = 0, 1
		}
		var created int64
		err := tx.QueryRowContext(ctx, `
			UPDATE links SET clicks = clicks + ?, views = views + ? WHERE code = ?
			RETURNING code, url, account_id, message_id, clicks, views, created_at`, clicks, views, code).
			Scan(&c.Link.Code, &c.Link.URL, &c.Link.AccountID, &c.Link.MessageID, &c.Link.Clicks, &c.Link.Views, &created)
		if err != nil {
			return notFound(err)
		}
		c.Link.CreatedAt = fromMS(created)
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO link_clicks (code, at, user_agent, bot, clicks, views) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			code, ms(at), userAgent, bot, c.Link.Clicks, c.Link.Views).Scan(&c.ID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT label, sender FROM messages WHERE id = ?`, c.Link.MessageID).
			Scan(&c.Label, &c.Sender); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO webhook_outbox (hook_id, event, order_key, message_id, click_id, created_at, due_at)
			SELECT id, ?1, ?2, ?3, ?4, ?5, 0 FROM hooks
			WHERE account_id = ?6 AND event_type IN (?1, 'all') AND event_filter IN ('', ?7)
			ORDER BY id`,
			openwaba.HookTracking, openwaba.MessageOrderKey(c.Link.MessageID), c.Link.MessageID, c.ID, ms(at), c.Link.AccountID, c.Sender)
		return err
	})
	if err != nil {
		return openwaba.Click{}, fmt.Errorf("record click on %s: %w", code, err)
	}
	return c, nil
}

// ClickByID finds a click of the account, with the link's counts as they
// were after it.
func (s *Store) ClickByID(ctx context.Context, accountID, id int64) (openwaba.Click, error) {
	var c openwaba.Click
	var at, created int64
	err := s.read.QueryRowContext(ctx, `
		SELECT c.id, c.at, c.user_agent, c.bot, c.clicks, c.views,
			l.code, l.url, l.account_id, l.message_id, l.created_at, m.label, m.sender
		FROM link_clicks c JOIN links l ON l.code = c.code JOIN messages m ON m.id = l.message_id
		WHERE c.id = ? AND l.account_id = ?`, id, accountID).
		Scan(&c.ID, &at, &c.UserAgent, &c.Bot, &c.Link.Clicks, &c.Link.Views,
			&c.Link.Code, &c.Link.URL, &c.Link.AccountID, &c.Link.MessageID, &created, &c.Label, &c.Sender)
	if err != nil {
		return openwaba.Click{}, fmt.Errorf("click %d: %w", id, notFound(err))
	}
	c.At, c.Link.CreatedAt = fromMS(at), fromMS(created)
	return c, nil
}

// Analytics counts the account's messages created in [f.Start, f.End)
// (and with f.Label), per day (UTC), label or account. A message counts
// as sent, delivered or read when its journal has that status or a later
// one, so a late "delivered" after "read" changes nothing.
func (s *Store) Analytics(ctx context.Context, accountID int64, f openwaba.AnalyticsFilter) ([]openwaba.AnalyticsRow, error) {
	key := `strftime('%Y-%m-%d', m.created_at / 1000, 'unixepoch')`
	switch f.GroupBy {
	case openwaba.GroupByLabel:
		key = `m.label`
	case openwaba.GroupBySubaccount:
		key = `CAST(m.account_id AS TEXT)`
	}
	end := f.End
	if end.IsZero() {
		end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+key+` AS k, count(*),
			sum(EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = m.id AND j.status IN ('sent', 'delivered', 'read'))),
			sum(EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = m.id AND j.status IN ('delivered', 'read'))),
			sum(EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = m.id AND j.status = 'read')),
			sum(m.status = 'failed'),
			sum(m.status = 'expired'),
			sum(CASE WHEN m.refunded THEN 0 ELSE m.price END),
			coalesce(sum((SELECT sum(l.clicks) FROM links l WHERE l.message_id = m.id)), 0),
			coalesce(sum((SELECT sum(l.views) FROM links l WHERE l.message_id = m.id)), 0)
		FROM messages m
		WHERE m.account_id = ? AND m.created_at >= ? AND m.created_at < ? AND (? = '' OR m.label = ?)
		GROUP BY k ORDER BY k`,
		accountID, ms(f.Start), ms(end), f.Label, f.Label)
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	defer rows.Close()
	var out []openwaba.AnalyticsRow
	for rows.Next() {
		var r openwaba.AnalyticsRow
		if err := rows.Scan(&r.Key, &r.Messages, &r.Sent, &r.Delivered, &r.Read, &r.Failed, &r.Expired, &r.Cost, &r.Clicks, &r.Views); err != nil {
			return nil, fmt.Errorf("analytics: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
