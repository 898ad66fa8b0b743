package openwaba

import (
	"context"
	"slices"
	"time"
)

// Link is a short link made for a message sent with performance tracking:
// /s/{Code} on the gateway's public URL redirects to URL.
type Link struct {
	Code      string
	URL       string
	AccountID int64
	MessageID int64
	Clicks    int // by people
	Views     int // by link-preview bots and crawlers
	CreatedAt time.Time
}

// Click is one request of a short link.
type Click struct {
	ID        int64
	Link      Link // with the counts as they were after this click
	At        time.Time
	UserAgent string
	Bot       bool // a link preview or crawler: counted as a view
	Label     string
	Sender    string
}

// AnalyticsGroup is what analytics are grouped by.
type AnalyticsGroup string

const (
	GroupByDate       AnalyticsGroup = "date"
	GroupByLabel      AnalyticsGroup = "label"
	GroupBySubaccount AnalyticsGroup = "subaccount"
	// GroupByCountry is by the recipient's country (ISO 3166, "" when
	// unknown): the store groups by recipient (GroupByRecipient), and the
	// countries are made of those rows by Regroup, with the numbering
	// plan's rules where they live (internal/phone).
	GroupByCountry   AnalyticsGroup = "country"
	GroupByRecipient AnalyticsGroup = "recipient"
)

// AnalyticsFilter selects the messages analytics count: created in
// [Start, End) and, when Label is set, with that label.
type AnalyticsFilter struct {
	Start, End time.Time
	Label      string
	GroupBy    AnalyticsGroup
}

// AnalyticsRow is the count of one group.
type AnalyticsRow struct {
	Key       string // the date (YYYY-MM-DD, UTC), the label, or the account id
	Messages  int    // accepted
	Sent      int    // reached WhatsApp (ReportedAs(StatusSent): sent, delivered, read or played)
	Delivered int    // delivered, read or played
	Read      int    // read or played
	Played    int    // voice messages played
	Held      int    // held for quality assessment at some point (then sent or paused)
	Paused    int    // paused by WhatsApp's template pacing: not delivered
	Failed    int
	Expired   int
	Cost      Micros // what the messages cost: their charge after settlement and refunds
	Clicks    int    // clicks by people on their short links
	Views     int    // link previews
	// Inbound counts the messages users wrote (by WhatsApp's time; under
	// the date, the account or the user's key; never under a label).
	Inbound int
}

// Add adds o's counts to r's.
func (r *AnalyticsRow) Add(o AnalyticsRow) {
	r.Messages += o.Messages
	r.Sent += o.Sent
	r.Delivered += o.Delivered
	r.Read += o.Read
	r.Played += o.Played
	r.Held += o.Held
	r.Paused += o.Paused
	r.Failed += o.Failed
	r.Expired += o.Expired
	r.Cost += o.Cost
	r.Clicks += o.Clicks
	r.Views += o.Views
	r.Inbound += o.Inbound
}

// Regroup sums rows under key(row.Key), sorted by the new keys in byte
// order.
func Regroup(rows []AnalyticsRow, key func(string) string) []AnalyticsRow {
	byKey := map[string]*AnalyticsRow{}
	var keys []string
	for _, r := range rows {
		k := key(r.Key)
		sum, ok := byKey[k]
		if !ok {
			sum = &AnalyticsRow{Key: k}
			byKey[k] = sum
			keys = append(keys, k)
		}
		sum.Add(r)
	}
	slices.Sort(keys)
	out := make([]AnalyticsRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out
}

// TrackingStore keeps short links, their clicks, and the analytics that
// count them.
type TrackingStore interface {
	// Link finds a short link by its code.
	Link(ctx context.Context, code string) (Link, error)
	// RecordClick counts a request of a short link and puts a tracking
	// event in the outbox of the account's hooks, in one transaction; it
	// returns the click with the link's new counts.
	RecordClick(ctx context.Context, code string, at time.Time, userAgent string, bot bool) (Click, error)
	// ClickByID finds a click of the account.
	ClickByID(ctx context.Context, accountID, id int64) (Click, error)
	// Analytics counts the account's messages matching f, per group.
	Analytics(ctx context.Context, accountID int64, f AnalyticsFilter) ([]AnalyticsRow, error)
}
