package console

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// analyticsRow is a row of GET /api/analytics.
type analyticsRow struct {
	Date      string      `json:"date"`
	Label     string      `json:"label"`
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
	Labels        []funnelStep // messages per label, 30 days; Percent of the largest
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
		q.Set("group_by", "label")
		var labels []analyticsRow
		if err := c.call(r, u, "GET", "/api/analytics?"+q.Encode(), nil).decode(&labels); err != nil {
			c.refused(w, r, u, err)
			return
		}
		d.Labels = perLabel(labels)
	}
	if u.Can("waba") {
		if err := c.call(r, u, "GET", "/api/waba/senders", nil).decode(&d.Senders); err != nil {
			c.refused(w, r, u, err)
			return
		}
		var q queueView
		if err := c.call(r, u, "GET", "/api/waba/queue", nil).decode(&q); err != nil {
			c.refused(w, r, u, err)
			return
		}
		for i, sd := range d.Senders {
			for _, sq := range q.Senders {
				if sq.Sender != sd.Number {
					continue
				}
				d.Senders[i].MPS, d.Senders[i].Backlog = sq.MPS, sq.Due
				if sq.OldestDue != nil {
					d.Senders[i].OldestDue = *sq.OldestDue
					if d.OldestDue == "" || *sq.OldestDue < d.OldestDue {
						d.OldestDue = *sq.OldestDue // RFC 3339 in UTC: ordered as text
					}
				}
				d.Queue += sq.Due
			}
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

// queueView is GET /api/waba/queue's answer.
type queueView struct {
	Senders []struct {
		Sender    string  `json:"sender"`
		MPS       int     `json:"mps"`
		Due       int     `json:"due"`
		OldestDue *string `json:"oldest_due"`
	} `json:"senders"`
	Hooks []struct {
		HookID        int64   `json:"hook_id"`
		Pending       int     `json:"pending"`
		OldestPending *string `json:"oldest_pending"`
		Dead          int     `json:"dead"`
		HeldUntil     *string `json:"held_until"`
	} `json:"hooks"`
}

// perLabel is the labels by messages, most first, at most ten.
func perLabel(rows []analyticsRow) []funnelStep {
	var top int64
	out := make([]funnelStep, 0, len(rows))
	for _, r := range rows {
		name := r.Label
		if name == "" {
			name = "(no label)"
		}
		out = append(out, funnelStep{Name: name, Count: r.Messages})
		top = max(top, r.Messages)
	}
	slices.SortStableFunc(out, func(a, b funnelStep) int { return cmp.Compare(b.Count, a.Count) })
	out = out[:min(len(out), 10)]
	for i := range out {
		if top > 0 {
			out[i].Percent = int(out[i].Count * 100 / top)
		}
	}
	return out
}
