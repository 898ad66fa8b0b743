package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var messageTests = []test{
	{"Accept", testAccept},
	{"AcceptScheduled", testAcceptScheduled},
	{"AcceptInsufficientBalanceWritesNothing", testAcceptInsufficient},
	{"AcceptFreeNeedsNoBalance", testAcceptFree},
	{"AcceptUnknownAccount", testAcceptUnknownAccount},
	{"LookupsAreScopedByAccount", testMessageIsolation},
	{"List", testListMessages},
	{"AcceptDefaults", testAcceptDefaults},
	{"AcceptBalanceEdges", testAcceptBalanceEdges},
}

func templateMessage(to string) openwaba.Message {
	m := textMessage(to, 2*price, t0)
	m.Category = openwaba.CategoryUtility
	m.Content = openwaba.Content{
		Type: openwaba.TypeTemplate,
		Template: &openwaba.TemplateSend{
			Name:     "order",
			Language: "en",
			Body:     []openwaba.TemplateParam{{Type: "text", Text: "Alice"}},
			Buttons: []openwaba.TemplateButton{{SubType: "url", Index: 0,
				Parameters: []openwaba.TemplateParam{{Type: "text", Text: "42"}}}},
			Rendered: openwaba.RenderedTemplate{Body: "Hi Alice", Buttons: []openwaba.RenderedButton{
				{Type: "url", Text: "Track", URL: "https://example.com/42"}}},
		},
	}
	m.Text = `{"body":"Hi Alice"}`
	m.Label, m.ForeignID, m.PerformanceTracking = "campaign", "ext-1", true
	return m
}

func testAccept(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	free := textMessage(recipient2, 0, t0)
	sent := []openwaba.Message{templateMessage(recipient1), free}
	res := accept(t, s, a.ID, sent...)
	if res.Balance != 1_000_000-2*price {
		t.Errorf("balance %v, want %v", res.Balance, 1_000_000-2*price)
	}
	checkBalance(t, s, a.ID, res.Balance)

	for i, m := range res.Messages {
		if m.ID == 0 {
			t.Fatalf("message %d has no ID", i)
		}
		want := sent[i]
		want.ID, want.AccountID, want.StatusAt = m.ID, a.ID, t0
		want.ListPrice, want.Charge = want.Price, want.Price // NewMessage's defaults
		equal(t, "accepted message", m, want)
		equal(t, "Message", message(t, s, a.ID, m.ID), m)
		if h := history(t, s, a.ID, m.ID); !slices.Equal(h, []openwaba.Status{openwaba.StatusQueued}) {
			t.Errorf("journal %v, want [queued]", h)
		}
	}
	if res.Messages[0].ID == res.Messages[1].ID {
		t.Error("two messages share an ID")
	}

	entries, err := s.Ledger(t.Context(), a.ID)
	wantErr(t, "Ledger", err, nil)
	// The top-up and one debit: free messages are not booked.
	if len(entries) != 2 {
		t.Fatalf("ledger %+v, want the top-up and one debit", entries)
	}
	if e := entries[1]; e.Amount != -2*price || e.Reason != openwaba.ReasonDebit || e.MessageID != res.Messages[0].ID {
		t.Errorf("debit %+v, want %v for message %d", e, -2*price, res.Messages[0].ID)
	}
}

func testAcceptScheduled(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	due := t0.Add(time.Hour)
	m := accept(t, s, a.ID, textMessage(recipient1, price, due)).Messages[0]
	if m.Status != openwaba.StatusScheduled || !m.StatusAt.Equal(t0) {
		t.Errorf("status %s at %v, want scheduled at %v", m.Status, m.StatusAt, t0)
	}
	if got := claim(t, s, due.Add(-time.Millisecond), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed %v before it was due", got)
	}
	next, ok, err := s.NextDue(t.Context())
	wantErr(t, "NextDue", err, nil)
	if !ok || !next.Equal(due) {
		t.Errorf("NextDue = %v, %v; want %v", next, ok, due)
	}

	claimed, err := s.ClaimDue(t.Context(), due, time.Minute, 10)
	wantErr(t, "ClaimDue", err, nil)
	if len(claimed) != 1 || claimed[0].ID != m.ID {
		t.Fatalf("claimed %v, want message %d", ids(claimed), m.ID)
	}
	if c := claimed[0]; c.Status != openwaba.StatusQueued || !c.StatusAt.Equal(due) || c.Attempts != 1 {
		t.Errorf("claimed message is %s at %v after %d attempts, want queued at %v after 1", c.Status, c.StatusAt, c.Attempts, due)
	}
	equal(t, "Message after the claim", message(t, s, a.ID, m.ID), claimed[0])
	want := []openwaba.Status{openwaba.StatusScheduled, openwaba.StatusQueued}
	if h := history(t, s, a.ID, m.ID); !slices.Equal(h, want) {
		t.Errorf("journal %v, want %v", h, want)
	}
}

func testAcceptInsufficient(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 3*price/2)
	_, err := s.Accept(t.Context(), a.ID, []openwaba.Message{
		textMessage(recipient1, price, t0),
		textMessage(recipient2, price, t0),
	})
	wantErr(t, "Accept beyond the balance", err, openwaba.ErrInsufficientBalance)
	checkBalance(t, s, a.ID, 3*price/2)
	entries, err := s.Ledger(t.Context(), a.ID)
	wantErr(t, "Ledger", err, nil)
	if len(entries) != 1 {
		t.Errorf("ledger %+v, want only the top-up", entries)
	}
	if _, ok, err := s.NextDue(t.Context()); err != nil || ok {
		t.Errorf("NextDue = %v, %v; want an empty queue", ok, err)
	}
	if got := claim(t, s, t0.Add(time.Hour), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed %v of a refused request", got)
	}

	res := accept(t, s, a.ID, textMessage(recipient1, price, t0))
	if res.Balance != price/2 {
		t.Errorf("balance %v, want %v", res.Balance, price/2)
	}
	checkBalance(t, s, a.ID, price/2)
}

func testAcceptFree(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 0)
	res := accept(t, s, a.ID, textMessage(recipient1, 0, t0))
	if res.Balance != 0 {
		t.Errorf("balance %v, want 0", res.Balance)
	}
	_, err := s.Credit(t.Context(), a.ID, -price, "correction")
	wantErr(t, "Credit", err, nil)
	res = accept(t, s, a.ID, textMessage(recipient1, 0, t0))
	if res.Balance != -price {
		t.Errorf("balance %v, want %v", res.Balance, -price)
	}
	_, err = s.Accept(t.Context(), a.ID, []openwaba.Message{textMessage(recipient1, 1, t0)})
	wantErr(t, "Accept on a negative balance", err, openwaba.ErrInsufficientBalance)
	checkBalance(t, s, a.ID, -price)
}

func testAcceptUnknownAccount(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 0)
	_, err := s.Accept(t.Context(), a.ID+1000, []openwaba.Message{textMessage(recipient1, 0, t0)})
	wantErr(t, "Accept for an unknown account", err, openwaba.ErrNotFound)
}

func testMessageIsolation(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 1_000_000)
	m := acceptOne(t, s, a.ID)

	_, err := s.Message(t.Context(), b.ID, m.ID)
	wantErr(t, "Message of another account", err, openwaba.ErrNotFound)
	_, err = s.Message(t.Context(), a.ID, m.ID+1000)
	wantErr(t, "Message of an unknown id", err, openwaba.ErrNotFound)
	_, err = s.StatusHistory(t.Context(), b.ID, m.ID)
	wantErr(t, "StatusHistory of another account", err, openwaba.ErrNotFound)
	_, err = s.StatusHistory(t.Context(), a.ID, m.ID+1000)
	wantErr(t, "StatusHistory of an unknown id", err, openwaba.ErrNotFound)
	_, err = s.Cancel(t.Context(), b.ID, m.ID, t0)
	wantErr(t, "Cancel of another account's message", err, openwaba.ErrNotFound)
	if got := message(t, s, a.ID, m.ID); got.Status != openwaba.StatusQueued {
		t.Errorf("status %s after a foreign cancel, want queued", got.Status)
	}
	checkBalance(t, s, a.ID, 1_000_000-price)
	checkBalance(t, s, b.ID, 1_000_000)

	claim(t, s, t0, time.Minute, 10)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.A1", t0), nil)
	got, err := s.MessageByWAMID(t.Context(), a.ID, "wamid.A1")
	wantErr(t, "MessageByWAMID", err, nil)
	if got.ID != m.ID || got.WAMID != "wamid.A1" {
		t.Errorf("MessageByWAMID = message %d with %q, want %d", got.ID, got.WAMID, m.ID)
	}
	_, err = s.MessageByWAMID(t.Context(), b.ID, "wamid.A1")
	wantErr(t, "MessageByWAMID of another account", err, openwaba.ErrNotFound)
	_, err = s.MessageByWAMID(t.Context(), a.ID, "wamid.unknown")
	wantErr(t, "MessageByWAMID of an unknown wamid", err, openwaba.ErrNotFound)
}

// testListMessages: the listing filters by foreign_id, label and time,
// pages newest first, and never shows another account's messages.
func testListMessages(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	b := newAccount(t, s, "b", 100*price)
	var ids []int64
	for i := range 6 {
		m := textMessage(recipient1, price, t0)
		m.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		m.ScheduledAt, m.ExpiresAt = m.CreatedAt, m.CreatedAt.Add(m.TTL)
		m.Label = []string{"spring", "autumn"}[i%2]
		m.ForeignID = fmt.Sprintf("order-%d", i/2)
		ids = append(ids, accept(t, s, a.ID, m).Messages[0].ID)
	}
	other := textMessage(recipient1, price, t0)
	other.Label, other.ForeignID = "spring", "order-0"
	accept(t, s, b.ID, other)

	list := func(f openwaba.MessageFilter) []int64 {
		t.Helper()
		ms, err := s.Messages(t.Context(), a.ID, f)
		wantErr(t, "Messages", err, nil)
		got := []int64{}
		for _, m := range ms {
			if m.AccountID != a.ID {
				t.Fatalf("listed message %d of account %d", m.ID, m.AccountID)
			}
			got = append(got, m.ID)
		}
		return got
	}
	tests := []struct {
		name string
		f    openwaba.MessageFilter
		want []int64
	}{
		{"all, newest first", openwaba.MessageFilter{}, []int64{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"label", openwaba.MessageFilter{Label: "spring"}, []int64{ids[4], ids[2], ids[0]}},
		{"foreign_id", openwaba.MessageFilter{ForeignID: "order-1"}, []int64{ids[3], ids[2]}},
		{"label and foreign_id", openwaba.MessageFilter{ForeignID: "order-1", Label: "autumn"}, []int64{ids[3]}},
		{"from", openwaba.MessageFilter{From: t0.Add(4 * time.Minute)}, []int64{ids[5], ids[4]}},
		{"to", openwaba.MessageFilter{To: t0.Add(2 * time.Minute)}, []int64{ids[1], ids[0]}},
		{"page 1", openwaba.MessageFilter{Limit: 4}, []int64{ids[5], ids[4], ids[3], ids[2]}},
		{"page 2", openwaba.MessageFilter{Limit: 4, Before: ids[2]}, []int64{ids[1], ids[0]}},
		{"nothing", openwaba.MessageFilter{Label: "winter"}, []int64{}},
	}
	for _, tc := range tests {
		equal(t, tc.name, list(tc.f), tc.want)
	}
}
