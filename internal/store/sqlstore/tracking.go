package sqlstore

import (
	"context"
	"fmt"
	"strings"
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
	l, err := scanLink(s.read.row(ctx, `SELECT `+linkColumns+` FROM links l WHERE l.code = ?`, code))
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
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		c = openwaba.Click{At: at, UserAgent: openwaba.StoredText(userAgent), Bot: bot}
		clicks, views := 1, 0
		if bot {
			clicks, views = 0, 1
		}
		l, err := scanLink(tx.row(ctx, `
			UPDATE links SET clicks = clicks + ?, views = views + ? WHERE code = ?
			RETURNING code, url, account_id, message_id, clicks, views, created_at`, clicks, views, code))
		if err != nil {
			return notFound(err)
		}
		c.Link = l
		if err := tx.row(ctx, `
			INSERT INTO link_clicks (code, at, user_agent, bot, clicks, views) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			code, ms(at), userAgent, bot, l.Clicks, l.Views).Scan(&c.ID); err != nil {
			return err
		}
		if err := tx.row(ctx, `SELECT label, sender FROM messages WHERE id = ?`, l.MessageID).Scan(&c.Label, &c.Sender); err != nil {
			return err
		}
		return enqueue(ctx, tx, l.AccountID, c.Sender, []openwaba.HookEvent{openwaba.HookTracking}, event{
			OrderKey: openwaba.MessageOrderKey(l.MessageID), MessageID: l.MessageID, ClickID: c.ID, CreatedAt: at,
		})
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
	err := s.read.row(ctx, `
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
// (and with f.Label), per day (UTC), label, account or recipient, with
// the inbound messages of the same time under the same keys (none under
// labels). A message counts
// as sent, delivered or read when its journal has that status or a later
// one, so a late "delivered" after "read" changes nothing. Sums are cast
// to BIGINT: PostgreSQL sums BIGINTs as NUMERIC.
func (s *Store) Analytics(ctx context.Context, accountID int64, f openwaba.AnalyticsFilter) ([]openwaba.AnalyticsRow, error) {
	key, inKey := s.d.day(`m.created_at`), s.d.day(`i.sent_at`)
	switch f.GroupBy {
	case openwaba.GroupByLabel:
		key, inKey = `m.label`, ``
	case openwaba.GroupBySubaccount:
		key, inKey = `CAST(m.account_id AS TEXT)`, `CAST(i.account_id AS TEXT)`
	case openwaba.GroupByRecipient:
		key, inKey = `m.recipient`, `i.from_number`
	case openwaba.GroupByCountry:
		return nil, fmt.Errorf("analytics: by country is Regroup of by recipient")
	}
	if f.Label != "" {
		inKey = `` // inbound messages have no label
	}
	end := f.End
	if end.IsZero() {
		end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	// The status lists are openwaba.ReportedAs's, written into the SQL as
	// literals: statuses are a closed set of identifiers.
	journaled := func(s openwaba.Status) string {
		var names []string
		for _, st := range openwaba.ReportedAs(s) {
			names = append(names, "'"+string(st)+"'")
		}
		return `count(*) FILTER (WHERE EXISTS (SELECT 1 FROM message_statuses j WHERE j.message_id = m.id AND j.status IN (` +
			strings.Join(names, ", ") + `)))`
	}
	out, err := all(ctx, s.read, func(sc scanner) (openwaba.AnalyticsRow, error) {
		var r openwaba.AnalyticsRow
		err := sc.Scan(&r.Key, &r.Messages, &r.Sent, &r.Delivered, &r.Read, &r.Played, &r.Held, &r.Paused,
			&r.Failed, &r.Expired, &r.Cost, &r.Clicks, &r.Views)
		return r, err
	}, `
		SELECT `+key+`, count(*),
			`+journaled(openwaba.StatusSent)+`,
			`+journaled(openwaba.StatusDelivered)+`,
			`+journaled(openwaba.StatusRead)+`,
			`+journaled(openwaba.StatusPlayed)+`,
			`+journaled(openwaba.StatusHeld)+`,
			count(*) FILTER (WHERE m.status = 'paused'),
			count(*) FILTER (WHERE m.status = 'failed'),
			count(*) FILTER (WHERE m.status = 'expired'),
			CAST(coalesce(sum(m.charge), 0) AS BIGINT),
			CAST(coalesce(sum((SELECT sum(l.clicks) FROM links l WHERE l.message_id = m.id)), 0) AS BIGINT),
			CAST(coalesce(sum((SELECT sum(l.views) FROM links l WHERE l.message_id = m.id)), 0) AS BIGINT)
		FROM messages m
		WHERE m.account_id = ?1 AND m.created_at >= ?2 AND m.created_at < ?3 AND (?4 = '' OR m.label = ?4)
		GROUP BY `+key+` ORDER BY `+key+s.d.byteOrder,
		accountID, ms(f.Start), ms(end), f.Label)
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	if inKey == `` {
		return out, nil
	}
	in, err := all(ctx, s.read, func(sc scanner) (openwaba.AnalyticsRow, error) {
		var r openwaba.AnalyticsRow
		return r, sc.Scan(&r.Key, &r.Inbound)
	}, `SELECT `+inKey+`, count(*) FROM inbound_messages i
		WHERE i.account_id = ?1 AND i.sent_at >= ?2 AND i.sent_at < ?3
		GROUP BY `+inKey, accountID, ms(f.Start), ms(end))
	if err != nil {
		return nil, fmt.Errorf("analytics of inbound messages: %w", err)
	}
	return openwaba.Regroup(append(out, in...), func(k string) string { return k }), nil
}
