package api_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api/openapitest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got %s\nwant %s", name, got, want)
	}
}

// historyFixture is an account with one sender number and a user who
// wrote twice, first with their number and BSUID, then (number withheld)
// with the BSUID alone, and was answered once to each id.
func historyFixture(t *testing.T) (*fixture, func(method, path string) reply) {
	t.Helper()
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.store.PutSender(ctx, openwaba.Sender{Number: "4915112345678", AccountID: 1, PhoneNumberID: "p1", WABAID: "w1"}); err != nil {
		t.Fatal(err)
	}
	t0 := f.clock.Now()
	for i, u := range []openwaba.User{
		{WaID: "4917612345678", UserID: "DE.1350000000000000001"},
		{UserID: "DE.1350000000000000001", Username: "anna"},
	} {
		body := []string{"Hello", "Thanks"}[i]
		at := t0.Add(time.Duration(2*i) * time.Minute)
		if _, err := f.store.RecordInbound(ctx, openwaba.InboundMessage{
			AccountID: 1, Sender: "4915112345678", User: u, WAMID: "wamid.in" + body, Type: "text", Text: body,
			Payload: []byte(`{"context":{"id":"wamid.before` + body + `"},"type":"text","text":{"body":"` + body + `"}}`), ProfileName: "Anna", SentAt: at, ReceivedAt: at,
		}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Minute)
		to := []string{"4917612345678", "DE.1350000000000000001"}[i]
		if r := f.do("POST", "/api/waba/messages", `{"from":"4915112345678","to":"`+to+`","text":"Answer `+body+`"}`, "X-Api-Key", "key-a"); r.status != 200 || !strings.Contains(r.body, `"success":"100"`) {
			t.Fatalf("send: %d %s", r.status, r.body)
		}
		f.clock.Add(time.Minute)
	}
	// Someone else, who is in no listing of the user.
	if _, err := f.store.RecordInbound(ctx, openwaba.InboundMessage{
		AccountID: 1, Sender: "4915112345678", From: "4917699999999", WAMID: "wamid.other", Type: "image", SentAt: t0, ReceivedAt: t0,
	}); err != nil {
		t.Fatal(err)
	}
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	return f, func(method, path string) reply {
		t.Helper()
		r := f.do(method, path, "", "X-Api-Key", "key-a")
		p, _, _ := strings.Cut(path, "?")
		if err := doc.Check(method, p, r.status, r.header.Get("Content-Type"), []byte(r.body)); err != nil {
			t.Errorf("%s: openapi.json: %v", path, err)
		}
		return r
	}
}

func TestHistoryAnswers(t *testing.T) {
	t.Parallel()
	_, do := historyFixture(t)
	tests := []struct{ name, path string }{
		{"inbound_by_number", "/api/waba/inbound?user=%2B49%20176%2012345678"},
		{"inbound_by_type", "/api/waba/inbound?type=image"},
		{"conversation", "/api/waba/conversations/DE.1350000000000000001?sender=4915112345678"},
		{"messages_by_recipient", "/api/waba/messages?recipient=4917612345678"},
	}
	for _, tc := range tests {
		r := do("GET", tc.path)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", tc.path, r.status, r.body)
		}
		var v any
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			t.Fatal(err)
		}
		pretty, _ := json.MarshalIndent(v, "", "  ")
		golden(t, "history/"+tc.name+".json", string(pretty)+"\n")
	}
}

// TestConversationPaging: pages of one go back in time and together are
// the whole conversation, each message once.
func TestConversationPaging(t *testing.T) {
	t.Parallel()
	_, do := historyFixture(t)
	var texts []string
	path := "/api/waba/conversations/4917612345678?limit=3"
	for range 5 {
		r := do("GET", path)
		var page struct {
			Messages []struct {
				Direction string `json:"direction"`
				Inbound   *struct {
					Text string `json:"text"`
				} `json:"inbound"`
				Outbound *struct {
					Text string `json:"text"`
				} `json:"outbound"`
			} `json:"messages"`
			Next *string `json:"next"`
		}
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var got []string
		for _, m := range page.Messages {
			if m.Direction == "in" {
				got = append(got, "in:"+m.Inbound.Text)
			} else {
				got = append(got, "out:"+m.Outbound.Text)
			}
		}
		texts = append(got, texts...)
		if page.Next == nil {
			break
		}
		path = "/api/waba/conversations/4917612345678?limit=3&before=" + *page.Next
	}
	want := "in:Hello out:Answer Hello in:Thanks out:Answer Thanks"
	if got := strings.Join(texts, " "); got != want {
		t.Errorf("pages = %s, want %s", got, want)
	}
}

// TestHistoryRefusals: every parameter that cannot be read is a 400 naming
// it, never a 500.
func TestHistoryRefusals(t *testing.T) {
	t.Parallel()
	f, do := historyFixture(t)
	if err := f.store.PutSender(context.Background(), openwaba.Sender{Number: "4915100000002", AccountID: 1, WABAID: "w1"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, field string }{
		{"/api/waba/inbound?user=hello", "user"},
		{"/api/waba/inbound?sender=abc", "sender"},
		{"/api/waba/inbound?from=yesterday", "from"},
		{"/api/waba/inbound?from=2026-01-02&to=2026-01-01", "to"},
		{"/api/waba/inbound?limit=0", "limit"},
		{"/api/waba/inbound?before=x", "before"},
		{"/api/waba/messages?status=sunk", "status"},
		{"/api/waba/messages?recipient=us.123", "recipient"},
		{"/api/waba/conversations/hello?sender=4915112345678", "user"},
		{"/api/waba/conversations/4917612345678", "sender"}, // two numbers now
		{"/api/waba/conversations/4917612345678?sender=4915112345678&before=bm9wZQ", "before"},
		{"/api/waba/conversations/4917612345678?sender=4915112345678&limit=1001", "limit"},
	}
	for _, tc := range tests {
		r := do("GET", tc.path)
		if r.status != 400 || !strings.Contains(r.body, `"`+tc.field+``) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.path, r.status, r.body, tc.field)
		}
	}
}
