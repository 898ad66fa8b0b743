package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var trackingTests = []test{
	{"LinksAndClicks", testLinksAndClicks},
	{"CodeTaken", testLinkCodeTaken},
	{"ClickWebhooks", testClickWebhooks},
	{"Analytics", testAnalytics},
}

func trackedMessage(to string, codes ...string) openwaba.Message {
	m := textMessage(to, price, t0)
	m.PerformanceTracking = true
	for _, c := range codes {
		m.Links = append(m.Links, openwaba.Link{Code: c, URL: "https://shop.example/" + c})
	}
	return m
}

func testLinksAndClicks(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 10*price)
	b := newAccount(t, s, "b", 0)
	res := accept(t, s, a.ID, trackedMessage(recipient1, "Code2345", "Code2346"))
	m := res.Messages[0]
	l, err := s.Link(t.Context(), "Code2345")
	wantErr(t, "Link", err, nil)
	equal(t, "link", l, openwaba.Link{Code: "Code2345", URL: "https://shop.example/Code2345", AccountID: a.ID, MessageID: m.ID, CreatedAt: t0})
	_, err = s.Link(t.Context(), "Nope2345")
	wantErr(t, "Link of an unknown code", err, openwaba.ErrNotFound)

	for i, bot := range []bool{false, true, false} {
		c, err := s.RecordClick(t.Context(), "Code2345", t0.Add(time.Duration(i)*time.Second), "UA", bot)
		wantErr(t, "RecordClick", err, nil)
		if c.ID == 0 || c.Link.MessageID != m.ID || c.Bot != bot {
			t.Fatalf("click %+v", c)
		}
	}
	l, _ = s.Link(t.Context(), "Code2345")
	if l.Clicks != 2 || l.Views != 1 {
		t.Errorf("clicks %d views %d, want 2 and 1", l.Clicks, l.Views)
	}
	if other, _ := s.Link(t.Context(), "Code2346"); other.Clicks != 0 || other.Views != 0 {
		t.Errorf("the other link of the message counted %d/%d", other.Clicks, other.Views)
	}
	_, err = s.RecordClick(t.Context(), "Nope2345", t0, "UA", false)
	wantErr(t, "RecordClick of an unknown code", err, openwaba.ErrNotFound)

	last, err := s.RecordClick(t.Context(), "Code2345", t0.Add(time.Minute), "Mozilla", false)
	wantErr(t, "RecordClick", err, nil)
	c, err := s.ClickByID(t.Context(), a.ID, last.ID)
	wantErr(t, "ClickByID", err, nil)
	if c.Link.Clicks != 3 || c.Link.Views != 1 || c.UserAgent != "Mozilla" || !c.At.Equal(t0.Add(time.Minute)) || c.Link.URL != l.URL || c.Sender != sender1 {
		t.Errorf("ClickByID = %+v", c)
	}
	_, err = s.ClickByID(t.Context(), b.ID, last.ID)
	wantErr(t, "ClickByID of another account", err, openwaba.ErrNotFound)
}

// testLinkCodeTaken: a code already in use fails the whole accept with
// ErrConflict, and nothing of it is stored or charged.
func testLinkCodeTaken(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 10*price)
	accept(t, s, a.ID, trackedMessage(recipient1, "Same2345"))
	_, err := s.Accept(t.Context(), a.ID, []openwaba.Message{trackedMessage(recipient2, "Othr2345", "Same2345")})
	wantErr(t, "Accept with a taken code", err, openwaba.ErrConflict)
	checkBalance(t, s, a.ID, 9*price)
	_, err = s.Link(t.Context(), "Othr2345")
	wantErr(t, "Link of the refused accept", err, openwaba.ErrNotFound)
}

func testClickWebhooks(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 10*price)
	tr := newHook(t, s, a.ID, openwaba.HookTracking, "")
	newHook(t, s, a.ID, openwaba.HookDLR, "")
	newHook(t, s, a.ID, openwaba.HookTracking, sender2)
	accept(t, s, a.ID, trackedMessage(recipient1, "Hook2345"))
	c, err := s.RecordClick(t.Context(), "Hook2345", t0, "UA", false)
	wantErr(t, "RecordClick", err, nil)
	ds := drain(t, s, t0)
	if len(ds) != 1 || ds[0].Hook.ID != tr.ID || ds[0].Event != openwaba.HookTracking || ds[0].ClickID != c.ID || ds[0].MessageID != c.Link.MessageID {
		t.Fatalf("deliveries %+v", ds)
	}
}

// testAnalytics: the counts per group match what happened to the
// messages, and each filter narrows them.
func testAnalytics(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	b := newAccount(t, s, "b", 100*price)
	day2 := t0.Add(24 * time.Hour)
	mk := func(label string, created time.Time, codes ...string) openwaba.Message {
		m := trackedMessage(recipient1, codes...)
		m.Label, m.CreatedAt, m.ScheduledAt, m.ExpiresAt = label, created, created, created.Add(m.TTL)
		return m
	}
	// Day 1: spring×3 (read, failed before sent, expired), autumn×1 (delivered, clicked twice, previewed once).
	// Day 2: spring×1 (sent).
	ids := ids(accept(t, s, a.ID, mk("spring", t0), mk("spring", t0), mk("spring", t0), mk("autumn", t0, "Anal2345"), mk("spring", day2)).Messages)
	accept(t, s, b.ID, mk("spring", t0)) // another account's: never counted
	claimed := claim(t, s, day2, time.Minute, 10)
	if len(claimed) != 6 { // b's too
		t.Fatalf("claimed %d", len(claimed))
	}
	submit := func(id int64, wamid string, sts ...openwaba.Status) {
		wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), id, wamid, t0), nil)
		for _, st := range sts {
			_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: wamid, Status: st, At: t0})
			wantErr(t, "ApplyStatus", err, nil)
		}
	}
	submit(ids[0], "w0", openwaba.StatusSent, openwaba.StatusRead, openwaba.StatusDelivered)
	wantErr(t, "Fail", s.Fail(t.Context(), ids[1], openwaba.StatusFailed, 131026, "x", t0), nil)
	wantErr(t, "Fail", s.Fail(t.Context(), ids[2], openwaba.StatusExpired, 0, "", t0), nil)
	submit(ids[3], "w3", openwaba.StatusSent, openwaba.StatusDelivered)
	submit(ids[4], "w4", openwaba.StatusSent)
	for _, bot := range []bool{false, true, false} {
		_, err := s.RecordClick(t.Context(), "Anal2345", t0, "UA", bot)
		wantErr(t, "RecordClick", err, nil)
	}

	rows := func(f openwaba.AnalyticsFilter) []openwaba.AnalyticsRow {
		t.Helper()
		got, err := s.Analytics(t.Context(), a.ID, f)
		wantErr(t, "Analytics", err, nil)
		return got
	}
	day1 := openwaba.AnalyticsRow{Key: "2025-03-01", Messages: 4, Sent: 2, Delivered: 2, Read: 1, Failed: 1, Expired: 1, Cost: 2 * price, Clicks: 2, Views: 1}
	day2row := openwaba.AnalyticsRow{Key: "2025-03-02", Messages: 1, Sent: 1, Cost: price}
	equal(t, "by date", rows(openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByDate}), []openwaba.AnalyticsRow{day1, day2row})
	equal(t, "by label", rows(openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByLabel}), []openwaba.AnalyticsRow{
		{Key: "autumn", Messages: 1, Sent: 1, Delivered: 1, Cost: price, Clicks: 2, Views: 1},
		{Key: "spring", Messages: 4, Sent: 2, Delivered: 1, Read: 1, Failed: 1, Expired: 1, Cost: 2 * price},
	})
	equal(t, "by subaccount", rows(openwaba.AnalyticsFilter{GroupBy: openwaba.GroupBySubaccount}), []openwaba.AnalyticsRow{
		{Key: itoa(a.ID), Messages: 5, Sent: 3, Delivered: 2, Read: 1, Failed: 1, Expired: 1, Cost: 3 * price, Clicks: 2, Views: 1},
	})
	equal(t, "day 2 only", rows(openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByDate, Start: day2}), []openwaba.AnalyticsRow{day2row})
	equal(t, "day 1 only", rows(openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByDate, End: day2}), []openwaba.AnalyticsRow{day1})
	equal(t, "label autumn", rows(openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByDate, Label: "autumn"}), []openwaba.AnalyticsRow{
		{Key: "2025-03-01", Messages: 1, Sent: 1, Delivered: 1, Cost: price, Clicks: 2, Views: 1},
	})
	if got := rows(openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByDate, Label: "winter"}); len(got) != 0 {
		t.Errorf("label winter: %+v", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
