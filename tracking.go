package openwaba

import (
	"context"
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
