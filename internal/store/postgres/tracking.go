package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	l, err := scanLink(s.pool.QueryRow(ctx, `SELECT `+linkColumns+` FROM links l WHERE l.code = $1`, code))
	if err != nil {
		return openwaba.Link{}, fmt.Errorf("link %s: %w", code, notFound(err))
	}
	return l, nil
}

// RecordClick counts a request of the link, keeps it with the link's new
// counts, and puts a tracking event in the outbox of the account's hooks
// (filtered by the message's sender), all in one transaction. The UPDATE
// locks the link's row, so concurrent clicks (on any node) are counted one
// after the other and each keeps the counts it made.
func (s *Store) RecordClick(ctx context.Context, code string, at time.Time, userAgent string, bot bool) (openwaba.Click, error) {
	var c openwaba.Click
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		c = openwaba.Click{At: at, UserAgent: userAgent, Bot: bot}
		clicks, views := 1, 0
		if bot {
			clicks, views = 0, 1
		}
		l, err := scanLink(tx.QueryRow(ctx, `
			UPDATE links l SET clicks = l.clicks + $1, views = l.views + $2 WHERE l.code = $3
			RETURNING `+linkColumns, clicks, views, code))
		if err != nil {
			return notFound(err)
		}
		c.Link = l
		if err := tx.QueryRow(ctx, `
			INSERT INTO link_clicks (code, at, user_agent, bot, clicks, views) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			code, ms(at), userAgent, bot, l.Clicks, l.Views).Scan(&c.ID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT label, sender FROM messages WHERE id = $1`, l.MessageID).
			Scan(&c.Label, &c.Sender); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO webhook_outbox (hook_id, event, order_key, message_id, click_id, created_at, due_at)
			SELECT id, $1, $2, $3, $4, $5, 0 FROM hooks
			WHERE account_id = $6 AND event_type IN ($1, 'all') AND event_filter IN ('', $7)
			ORDER BY id`,
			openwaba.HookTracking, openwaba.MessageOrderKey(l.MessageID), l.MessageID, c.ID, ms(at), l.AccountID, c.Sender)
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
	err := s.pool.QueryRow(ctx, `
		SELECT c.id, c.at, c.user_agent, c.bot, c.clicks, c.views,
			l.code, l.url, l.account_id, l.message_id, l.created_at, m.label, m.sender
		FROM link_clicks c JOIN links l ON l.code = c.code JOIN messages m ON m.id = l.message_id
		WHERE c.id = $1 AND l.account_id = $2`, id, accountID).
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
// one, so a late "delivered" after "read" changes nothing. The sums are
// cast back to BIGINT: PostgreSQL sums BIGINTs as NUMERIC.
func (s *Store) Analytics(ctx context.Context, accountID int64, f openwaba.AnalyticsFilter) ([]openwaba.AnalyticsRow, error) {
	key := `to_char(to_timestamp(m.created_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
	switch f.GroupBy {
	case openwaba.GroupByLabel:
		key = `m.label`
	case openwaba.GroupBySubaccount:
		key = `m.account_id::text`
	}
	end := f.End
	if end.IsZero() {
		end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+key+` AS k, count(*),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = m.id AND j.status IN ('sent', 'delivered', 'read'))),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = m.id AND j.status IN ('delivered', 'read'))),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = m.id AND j.status = 'read')),
			count(*) FILTER (WHERE m.status = 'failed'),
			count(*) FILTER (WHERE m.status = 'expired'),
			sum(CASE WHEN m.refunded THEN 0 ELSE m.price END)::bigint,
			coalesce(sum((SELECT sum(l.clicks) FROM links l WHERE l.message_id = m.id)), 0)::bigint,
			coalesce(sum((SELECT sum(l.views) FROM links l WHERE l.message_id = m.id)), 0)::bigint
		FROM messages m
		WHERE m.account_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND ($4 = '' OR m.label = $4)
		GROUP BY k ORDER BY `+key+` COLLATE "C"`,
		accountID, ms(f.Start), ms(end), f.Label)
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	out, err := collect(rows, func(sc scanner) (openwaba.AnalyticsRow, error) {
		var r openwaba.AnalyticsRow
		err := sc.Scan(&r.Key, &r.Messages, &r.Sent, &r.Delivered, &r.Read, &r.Failed, &r.Expired, &r.Cost, &r.Clicks, &r.Views)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	return out, nil
}
