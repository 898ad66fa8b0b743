package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/openwaba/openwaba"
)

// analyticsRow is a row of GET /api/analytics.
type analyticsRow struct {
	Date      string      `json:"date"`
	Messages  int64       `json:"messages"`
	Sent      int64       `json:"sent"`
	Delivered int64       `json:"delivered"`
	Read      int64       `json:"read"`
	Played    int64       `json:"played"`
	Held      int64       `json:"held"`
	Paused    int64       `json:"paused"`
	Failed    int64       `json:"failed"`
	Expired   int64       `json:"expired"`
	Cost      json.Number `json:"cost"`
}

type counts struct {
	Accepted, Sent, Delivered, Read, Failed, Expired int64
	Spend                                            float64
}

func (c *counts) add(r analyticsRow) {
	c.Accepted += r.Messages
	c.Sent += r.Sent
	c.Delivered += r.Delivered
	c.Read += r.Read
	c.Failed += r.Failed
	c.Expired += r.Expired
	f, _ := r.Cost.Float64()
	c.Spend += f
}

type balance struct {
	Amount   json.Number `json:"amount"`
	Currency string      `json:"currency"`
}

// senderView is a row of GET /api/waba/senders.
type senderView struct {
	Number         string  `json:"number"`
	MPS            int     `json:"mps"`
	Quality        *string `json:"quality"`
	MessagingLimit *string `json:"messaging_limit"`
	Restrictions   []struct {
		Type    string  `json:"type"`
		Expires *string `json:"expires"`
	} `json:"restrictions"`
	BanState *string `json:"ban_state"`
	// Backlog and OldestDue come from the queue, not from the API.
	Backlog   int
	OldestDue string
}

type overviewData struct {
	Balance       balance
	Analytics     bool
	Today, Month  counts
	Queue         int
	OldestDue     string
	Senders       []senderView
	PerDay, Spend chart
	Funnel        []funnelStep
}

type funnelStep struct {
	Name    string
	Count   int64
	Percent int
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok {
		return
	}
	var d overviewData
	if err := c.call(r, u, "GET", "/api/balance", nil).decode(&d.Balance); err != nil {
		c.refused(w, r, u, err)
		return
	}
	now := c.now().UTC()
	today := now.Format(time.DateOnly)
	if u.Can("analytics") {
		d.Analytics = true
		q := url.Values{"start": {now.AddDate(0, 0, -29).Format(time.DateOnly)}, "end": {today}}
		var rows []analyticsRow
		if err := c.call(r, u, "GET", "/api/analytics?"+q.Encode(), nil).decode(&rows); err != nil {
			c.refused(w, r, u, err)
			return
		}
		byDay := map[string]analyticsRow{}
		for _, row := range rows {
			byDay[row.Date] = row
			d.Month.add(row)
			if row.Date == today {
				d.Today.add(row)
			}
		}
		var days []day
		for i := 29; i >= 0; i-- {
			date := now.AddDate(0, 0, -i).Format(time.DateOnly)
			row := byDay[date]
			cost, _ := row.Cost.Float64()
			days = append(days, day{Date: date, Messages: float64(row.Messages), Cost: cost})
		}
		d.PerDay = barChart("Messages per day", days, func(x day) float64 { return x.Messages }, func(v float64) string { return fmt.Sprintf("%.0f", v) })
		d.Spend = barChart("Spend per day ("+d.Balance.Currency+")", days, func(x day) float64 { return x.Cost }, func(v float64) string { return fmt.Sprintf("%.4f", v) })
		d.Funnel = funnel(d.Month)
	}
	if u.Can("waba") {
		if err := c.call(r, u, "GET", "/api/waba/senders", nil).decode(&d.Senders); err != nil {
			c.refused(w, r, u, err)
			return
		}
		// The queue is read from the store: no API route reports it. It
		// covers every account, so only this account's senders count.
		qs, err := c.cfg.Store.QueueStats(r.Context(), c.now())
		if err != nil {
			c.refused(w, r, u, fmt.Errorf("queue stats: %w", err))
			return
		}
		var oldest time.Time
		for i, s := range d.Senders {
			j := slices.IndexFunc(qs.Senders, func(q openwaba.SenderQueue) bool { return q.Sender == s.Number })
			if j < 0 {
				continue
			}
			q := qs.Senders[j]
			d.Senders[i].Backlog = q.Due
			d.Senders[i].OldestDue = q.OldestDue.UTC().Format(time.DateTime)
			d.Queue += q.Due
			if oldest.IsZero() || q.OldestDue.Before(oldest) {
				oldest = q.OldestDue
			}
		}
		if !oldest.IsZero() {
			d.OldestDue = oldest.UTC().Format(time.DateTime) + " UTC"
		}
	}
	c.render(w, r, http.StatusOK, "overview", &view{Title: "Overview", Nav: "overview", User: u, Live: true, Data: d})
}

func funnel(m counts) []funnelStep {
	steps := []funnelStep{{"accepted", m.Accepted, 0}, {"sent", m.Sent, 0}, {"delivered", m.Delivered, 0}, {"read", m.Read, 0}}
	for i := range steps {
		if m.Accepted > 0 {
			steps[i].Percent = int(steps[i].Count * 100 / m.Accepted)
		}
	}
	return steps
}
