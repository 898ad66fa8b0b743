package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/batch"
)

// samples gathers reg as "name{label=value,...}" → value; a histogram
// gives its _count and _sum.
func samples(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName()+"="+lp.GetValue())
			}
			sort.Strings(labels)
			key := mf.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.Histogram.GetSampleCount())
				out[key+"_sum"] = m.Histogram.GetSampleSum()
			}
		}
	}
	return out
}

func TestSevenCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, want string }{
		{`900`, "900"},
		{"902\n", "902"},
		{`{"success":"100","total_price":0.1}`, "100"},
		{`{"success":"7002001","total_price":0}`, "7002001"},
		{`{"error_code":400,"error_message":"x"}`, "400"},
		{`{"success":false,"error_code":900,"error_message":"x"}`, "900"},
		{`{"code":404,"message":"Page not found","errors":[]}`, "404"},
		{`{"success":true}`, "none"},
		{`{"id":"1","status":"failed","error_code":131026}`, "none"}, // a message's code, not the answer's
		{`[{"id":1}]`, "none"},
		{``, "none"},
		{`{"success":"1001234567"}`, "none"}, // not a code
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			t.Parallel()
			if got := sevenCode([]byte(tc.body)); got != tc.want {
				t.Errorf("sevenCode(%s) = %q, want %q", tc.body, got, tc.want)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	lan := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name   string
		allow  []netip.Prefix
		remote string
		want   bool
	}{
		{"loopback v4", Loopback, "127.0.0.1:4000", true},
		{"other loopback v4", Loopback, "127.0.0.2:4000", true},
		{"loopback v6", Loopback, "[::1]:4000", true},
		{"v4-mapped loopback", Loopback, "[::ffff:127.0.0.1]:4000", true},
		{"public v4", Loopback, "203.0.113.7:4000", false},
		{"lan", lan, "10.1.2.3:80", true},
		{"lan v6 with zone", lan, "[fd00::1%eth0]:80", true},
		{"lan excludes loopback", lan, "127.0.0.1:80", false},
		{"no port", lan, "10.1.2.3", true},
		{"garbage", Loopback, "localhost:80", false},
		{"nothing allowed", nil, "127.0.0.1:80", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Allowed(tc.allow, tc.remote); got != tc.want {
				t.Errorf("Allowed(%v, %q) = %v, want %v", tc.allow, tc.remote, got, tc.want)
			}
		})
	}
}

func TestCapped(t *testing.T) {
	t.Parallel()
	c := newCapped(2)
	var got []string
	for _, v := range []string{"a", "b", "c", "a", "d", "b"} {
		got = append(got, c.value(v))
	}
	if want := []string{"a", "b", Other, "a", Other, "b"}; !slices.Equal(got, want) {
		t.Errorf("values %v, want %v", got, want)
	}
}

// TestHooksCountWithCaps: the hooks move their series; an account past
// the cap is counted as other.
func TestHooksCountWithCaps(t *testing.T) {
	t.Parallel()
	m := New(Config{Limits: Limits{Accounts: 1, MetaCodes: 1}})
	text := openwaba.Message{Content: openwaba.Content{Type: openwaba.TypeText}}
	tmpl := openwaba.Message{Content: openwaba.Content{Type: openwaba.TypeTemplate}}
	m.Accepted(1, []openwaba.Message{text, text, tmpl})
	m.Accepted(2, []openwaba.Message{text})
	m.BalanceRefused(2, 3)
	m.Sent("ok", 0)
	m.Sent("retryable", 130429)
	m.PacingWait(20 * time.Millisecond)
	m.SenderLeases(2)
	m.InFlight(3)
	m.InFlight(-1)
	m.StatusReport(openwaba.StatusRead)
	m.Inbound("text")
	m.Delivery(openwaba.HookDLR, "retry")
	got := samples(t, m.Registry())
	want := map[string]float64{
		"openwaba_messages_accepted_total{account=1,type=text}":       2,
		"openwaba_messages_accepted_total{account=1,type=template}":   1,
		"openwaba_messages_accepted_total{account=other,type=text}":   1,
		"openwaba_messages_balance_refused_total{account=other}":      3,
		"openwaba_upstream_sends_total{code=0,outcome=ok}":            1,
		"openwaba_upstream_sends_total{code=other,outcome=retryable}": 1,
		"openwaba_dispatch_pacing_wait_seconds_count":                 1,
		"openwaba_dispatch_sender_leases":                             2,
		"openwaba_dispatch_sends_in_flight":                           2,
		"openwaba_status_reports_total{status=read}":                  1,
		"openwaba_inbound_messages_total{type=text}":                  1,
		"openwaba_webhook_deliveries_total{event=dlr,outcome=retry}":  1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, k := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %s: the Go and process collectors are missing", k)
		}
	}
}

// TestInstrument: answers are counted by route pattern, status and seven
// code, and only the accept route is timed.
func TestInstrument(t *testing.T) {
	t.Parallel()
	m := New(Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/waba/messages", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success":"100","total_price":0.1}`)
	})
	mux.HandleFunc("GET /api/waba/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "900")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"code":404,"message":"Page not found","errors":[]}`)
	})
	h := m.Instrument(mux)
	requests := []struct{ method, path string }{
		{"POST", "/api/waba/messages"}, {"POST", "/api/waba/messages"},
		{"GET", "/api/waba/messages/1"}, {"GET", "/api/waba/messages/2"},
		{"GET", "/healthz"}, {"GET", "/nowhere"},
	}
	for _, r := range requests {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.method, r.path, nil))
	}
	got := samples(t, m.Registry())
	want := map[string]float64{
		"openwaba_api_responses_total{code=200,route=POST /api/waba/messages,seven_code=100}":     2,
		"openwaba_api_responses_total{code=401,route=GET /api/waba/messages/{id},seven_code=900}": 2,
		"openwaba_api_responses_total{code=200,route=GET /healthz,seven_code=none}":               1,
		"openwaba_api_responses_total{code=404,route=/,seven_code=404}":                           1,
		"openwaba_accept_duration_seconds_count":                                                  2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestHandlerRefusesOtherNetworks(t *testing.T) {
	t.Parallel()
	m := New(Config{})
	h := m.Handler([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	tests := []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5000", http.StatusOK},
		{"127.0.0.2:5000", http.StatusForbidden},
		{"[::1]:5000", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.remote, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.RemoteAddr = tc.remote
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if tc.want == http.StatusOK && !strings.Contains(rec.Body.String(), "openwaba_build_info") {
				t.Errorf("no openwaba_build_info in\n%s", rec.Body)
			}
		})
	}
}

// fakeStore answers the queue reads with what the test set.
type fakeStore struct {
	mu      sync.Mutex
	senders []openwaba.Sender
	stats   openwaba.QueueStats
	err     error
	reads   int
	groups  map[string]batch.Sizes
}

func (f *fakeStore) GroupSizes() map[string]batch.Sizes { return f.groups }

func (f *fakeStore) Senders(ctx context.Context, accountID int64) ([]openwaba.Sender, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return slices.Clone(f.senders), f.err
}

func (f *fakeStore) QueueStats(ctx context.Context, now time.Time) (openwaba.QueueStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return openwaba.QueueStats{Senders: slices.Clone(f.stats.Senders), Hooks: slices.Clone(f.stats.Hooks)}, f.err
}

func TestQueueCollector(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		store   *fakeStore
		want    map[string]float64
		missing []string
	}{
		{
			name: "every configured sender, idle ones at 0",
			store: &fakeStore{
				senders: []openwaba.Sender{{Number: "49002"}, {Number: "49001"}},
				stats: openwaba.QueueStats{
					Senders: []openwaba.SenderQueue{{Sender: "49001", Due: 7, OldestDue: now.Add(-90 * time.Second)}},
					Hooks:   []openwaba.HookQueue{{HookID: 3, Pending: 2, OldestPending: now.Add(-time.Minute), Dead: 1}, {HookID: 4, Dead: 5}},
				},
			},
			want: map[string]float64{
				"openwaba_queue_stats_up":                                1,
				"openwaba_dispatch_due_messages{sender=49001}":           7,
				"openwaba_dispatch_lag_seconds{sender=49001}":            90,
				"openwaba_dispatch_due_messages{sender=49002}":           0,
				"openwaba_dispatch_lag_seconds{sender=49002}":            0,
				"openwaba_webhook_outbox_pending{hook=3}":                2,
				"openwaba_webhook_outbox_oldest_pending_seconds{hook=3}": 60,
				"openwaba_webhook_dead_letters{hook=3}":                  1,
				"openwaba_webhook_outbox_pending{hook=4}":                0,
				"openwaba_webhook_dead_letters{hook=4}":                  5,
			},
			missing: []string{"openwaba_webhook_outbox_oldest_pending_seconds{hook=4}", "openwaba_dispatch_due_messages{sender=other}"},
		},
		{
			name: "senders and hooks past the caps are other",
			store: &fakeStore{
				senders: []openwaba.Sender{{Number: "49001"}, {Number: "49002"}, {Number: "49003"}},
				stats: openwaba.QueueStats{
					Senders: []openwaba.SenderQueue{
						{Sender: "49002", Due: 1, OldestDue: now.Add(-time.Second)},
						{Sender: "49003", Due: 2, OldestDue: now.Add(-3 * time.Second)},
						{Sender: "49999", Due: 4, OldestDue: now.Add(-2 * time.Second)}, // removed
					},
					Hooks: []openwaba.HookQueue{
						{HookID: 1, Pending: 1, OldestPending: now.Add(-10 * time.Second)},
						{HookID: 2, Pending: 9, OldestPending: now.Add(-time.Second)},
						{HookID: 3, Pending: 1, OldestPending: now.Add(-20 * time.Second), Dead: 1},
						{HookID: 4, Dead: 1},
					},
				},
			},
			want: map[string]float64{
				"openwaba_dispatch_due_messages{sender=49001}":               0,
				"openwaba_dispatch_due_messages{sender=49002}":               1,
				"openwaba_dispatch_due_messages{sender=other}":               6,
				"openwaba_dispatch_lag_seconds{sender=other}":                3,
				"openwaba_webhook_outbox_pending{hook=2}":                    9,
				"openwaba_webhook_outbox_pending{hook=3}":                    1,
				"openwaba_webhook_outbox_pending{hook=other}":                1,
				"openwaba_webhook_dead_letters{hook=other}":                  1,
				"openwaba_webhook_outbox_oldest_pending_seconds{hook=other}": 10,
			},
			missing: []string{"openwaba_dispatch_due_messages{sender=49003}", "openwaba_webhook_outbox_pending{hook=1}", "openwaba_webhook_outbox_pending{hook=4}"},
		},
		{
			name:    "a failing store",
			store:   &fakeStore{err: errors.New("database is down")},
			want:    map[string]float64{"openwaba_queue_stats_up": 0},
			missing: []string{"openwaba_dispatch_due_messages{sender=other}"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := New(Config{Store: tc.store, Now: func() time.Time { return now }, Limits: Limits{Senders: 2, Hooks: 2}})
			got := samples(t, m.Registry())
			for k, v := range tc.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
			for _, k := range tc.missing {
				if _, ok := got[k]; ok {
					t.Errorf("%s is reported", k)
				}
			}
		})
	}
}

// TestQueueCollectorReadsOncePerInterval: scrapes close together share
// one read of the store.
func TestQueueCollectorReadsOncePerInterval(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	m := New(Config{Store: store})
	for range 5 {
		samples(t, m.Registry())
	}
	store.mu.Lock()
	reads := store.reads
	store.mu.Unlock()
	if reads != 1 {
		t.Errorf("%d reads for 5 scrapes within %v, want 1", reads, statsEvery)
	}
}

func ExampleMetrics_Handler() {
	m := New(Config{Version: "v1.2.3"})
	req := httptest.NewRequest("GET", "/metrics", nil) // from 192.0.2.1
	rec := httptest.NewRecorder()
	m.Handler(Loopback).ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output: 403
}

// TestGroupSizes: the store's group sizes are served as a histogram per
// group, with the groups as its count and the requests as its sum.
func TestGroupSizes(t *testing.T) {
	t.Parallel()
	ok := func(reqs []int) []error { return make([]error, len(reqs)) }
	accept := batch.NewGroup(ok)
	for i := range 3 {
		if err := accept.Do(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newGroupCollector(&fakeStore{groups: map[string]batch.Sizes{"accept": accept.Sizes(), "status": {}}}))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dto.Histogram{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetHistogram()
		}
	}
	if h := got["accept"]; h.GetSampleCount() != 3 || h.GetSampleSum() != 3 || len(h.GetBucket()) != batch.SizeBuckets ||
		h.GetBucket()[0].GetUpperBound() != 1 || h.GetBucket()[0].GetCumulativeCount() != 3 {
		t.Errorf("accept = %v, want 3 groups of 1 request in the first of %d buckets", h, batch.SizeBuckets)
	}
	if h, ok := got["status"]; !ok || h.GetSampleCount() != 0 {
		t.Errorf("status = %v (present %v), want present and empty", h, ok)
	}
}
