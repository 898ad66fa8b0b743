package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

type recordedMetrics struct {
	mu  sync.Mutex
	got []string
}

func (r *recordedMetrics) Accepted(accountID int64, msgs []openwaba.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.got = append(r.got, fmt.Sprintf("accepted %d %s", accountID, m.Content.Type))
	}
}

func (r *recordedMetrics) BalanceRefused(accountID int64, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, fmt.Sprintf("balance refused %d %d", accountID, n))
}

// fixedPrice prices every message the same.
type fixedPrice openwaba.Micros

func (p fixedPrice) Price(context.Context, int64, openwaba.PriceCategory, string) (openwaba.Micros, error) {
	return openwaba.Micros(p), nil
}

// TestMetricsOfSends: what the store committed is counted per message,
// what the balance did not cover as refused, a recipient outside the
// window neither.
func TestMetricsOfSends(t *testing.T) {
	t.Parallel()
	rec := &recordedMetrics{}
	f := newFixture(t, func(c *api.Config) { c.Metrics, c.Pricer = rec, fixedPrice(100_000) })
	poor := f.account("poor", 0)
	f.key(poor, "key-poor", nil, openwaba.ScopeWABA)
	ctx := context.Background()
	now := f.clock.Now()
	// Service messages are free by Meta's rules; without the rules every
	// message costs fixedPrice, so the poor account's is refused.
	rules, err := f.store.FreeRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if err := f.store.DeleteFreeRule(ctx, r.Category, r.Window, r.EffectiveFrom); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range []openwaba.Sender{
		{Number: "4915112345678", AccountID: 1, PhoneNumberID: "p1", WABAID: "w1"},
		{Number: "4915199999999", AccountID: poor, PhoneNumberID: "p2", WABAID: "w2"},
	} {
		if err := f.store.PutSender(ctx, s); err != nil {
			t.Fatal(err)
		}
		in := openwaba.InboundMessage{AccountID: s.AccountID, Sender: s.Number, From: "4917612345678", WAMID: fmt.Sprintf("wamid.in%d", i), Type: "text", SentAt: now, ReceivedAt: now}
		if _, err := f.store.RecordInbound(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		key, from, to string
		want          string // seven's code
	}{
		{"key-a", "4915112345678", "4917612345678,4917600000000", "101"}, // one outside the window
		{"key-poor", "4915199999999", "4917612345678", "500"},
	}
	for _, tc := range tests {
		r := f.do("POST", "/api/waba/messages", `{"from":"`+tc.from+`","to":"`+tc.to+`","text":"hi"}`, "X-Api-Key", tc.key)
		if r.status != 200 || !strings.HasPrefix(r.body, `{"success":"`+tc.want+`"`) {
			t.Fatalf("send from %s: %d %s, want code %s", tc.from, r.status, r.body, tc.want)
		}
	}
	want := []string{"accepted 1 text", fmt.Sprintf("balance refused %d 1", poor)}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !slices.Equal(rec.got, want) {
		t.Errorf("counted %v, want %v", rec.got, want)
	}
}

// TestMetricsRoute: GET /metrics is served, without a key, only when
// a handler is configured; it is 404 otherwise, like any unknown path.
func TestMetricsRoute(t *testing.T) {
	t.Parallel()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("openwaba_up 1\n")) })
	tests := []struct {
		name    string
		handler http.Handler
		want    int
	}{
		{"configured", metrics, http.StatusOK},
		{"not configured", nil, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *api.Config) { c.MetricsHandler = tc.handler })
			if r := f.do("GET", "/metrics", ""); r.status != tc.want {
				t.Errorf("GET /metrics: %d %s, want %d", r.status, r.body, tc.want)
			}
		})
	}
}
