package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/openwaba/openwaba/internal/httplog"
	"github.com/openwaba/openwaba/internal/metrics"
)

// scrape reads the gateway's /metrics as Prometheus does (text format).
func scrape(t *testing.T, g *testGateway) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(g.BaseURL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// sample sums the samples of family name whose labels include want (a
// histogram's sample count); false when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}

// hookTarget is a customer's endpoint that answers every webhook with
// status.
func hookTarget(t *testing.T, status int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestMetricsEndToEnd scrapes a real gateway before and after it sent two
// messages through the sandbox, received their status webhooks and a
// user's message, and delivered customer webhooks to a receiver that takes
// them, one that is down (retries pending in the outbox) and one that
// refuses them (dead letters): the series move.
func TestMetricsEndToEnd(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	taker := newHookReceiver(t)
	for _, h := range []struct{ target, event string }{
		{taker.URL + "/all", "all"},
		{hookTarget(t, http.StatusServiceUnavailable), "dlr"},
		{hookTarget(t, http.StatusGone), "wa_status"},
	} {
		if r := g.do("POST", "/api/hooks", `{"target_url":"`+h.target+`","event_type":"`+h.event+`","request_method":"JSON"}`); r.Status != 200 {
			t.Fatalf("create hook: %d %s", r.Status, r.Body)
		}
	}
	before := scrape(t, g)

	g.openWindow(testUser)
	template := firstID(t, g.send(helloWorld))
	text := sentID(t, g.sendMsg(freetext(testUser)))
	g.waitStatus(template, "read")
	g.waitStatus(text, "read")
	// The user's message, and per message 2 dlr and 3 wa_status reports.
	taker.wait(t, 1+2*5)

	increased := []struct {
		name   string
		labels map[string]string
		by     float64
	}{
		{"openwaba_messages_accepted_total", map[string]string{"type": "template"}, 1},
		{"openwaba_messages_accepted_total", map[string]string{"type": "text"}, 1},
		{"openwaba_api_responses_total", map[string]string{"route": metrics.AcceptRoute, "code": "200", "seven_code": "100"}, 2},
		{"openwaba_api_responses_total", map[string]string{"route": "POST /api/hooks", "code": "200"}, 0}, // before the first scrape
		{"openwaba_accept_duration_seconds", nil, 2},
		{"openwaba_upstream_sends_total", map[string]string{"outcome": "ok", "code": "0"}, 2},
		{"openwaba_dispatch_pacing_wait_seconds", nil, 2},
		{"openwaba_status_reports_total", map[string]string{"status": "sent"}, 2},
		{"openwaba_status_reports_total", map[string]string{"status": "read"}, 2},
		{"openwaba_inbound_messages_total", map[string]string{"type": "text"}, 1},
		{"openwaba_webhook_deliveries_total", map[string]string{"event": "wa_mo", "outcome": "delivered"}, 1},
		{"openwaba_webhook_deliveries_total", map[string]string{"event": "wa_status", "outcome": "delivered"}, 6},
		{"openwaba_webhook_deliveries_total", map[string]string{"event": "dlr", "outcome": "retry"}, 1},
		{"openwaba_webhook_deliveries_total", map[string]string{"event": "wa_status", "outcome": "refused"}, 1},
		// Groups written (a histogram's count): the two sends were accepted
		// one after the other, the rest may have shared groups.
		{"openwaba_store_group_size", map[string]string{"group": "accept"}, 2},
		{"openwaba_store_group_size", map[string]string{"group": "submit"}, 1},
		{"openwaba_store_group_size", map[string]string{"group": "status"}, 1},
		{"openwaba_store_group_size", map[string]string{"group": "delivered"}, 1},
	}
	// The receiver has the webhooks before the gateway has read its answers
	// and counted them, so the counters and gauges are polled until they
	// show everything, and what is still missing at the deadline fails.
	missing := func(after map[string]*dto.MetricFamily) []string {
		var out []string
		for _, c := range increased {
			was, _ := sample(before, c.name, c.labels)
			now, ok := sample(after, c.name, c.labels)
			if !ok || now-was < c.by {
				out = append(out, fmt.Sprintf("%s%v: %v before, %v after (present %v), want an increase of %v or more", c.name, c.labels, was, now, ok, c.by))
			}
		}
		if dead, _ := sample(after, "openwaba_webhook_dead_letters", nil); dead < 1 {
			out = append(out, "no dead letter in openwaba_webhook_dead_letters")
		}
		if pending, _ := sample(after, "openwaba_webhook_outbox_pending", nil); pending < 1 {
			out = append(out, "no pending delivery in openwaba_webhook_outbox_pending")
		}
		return out
	}
	var after map[string]*dto.MetricFamily
	deadline := time.Now().Add(20 * time.Second)
	for {
		after = scrape(t, g)
		gaps := missing(after)
		if len(gaps) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, gap := range gaps {
				t.Error(gap)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	gauges := []struct {
		name   string
		labels map[string]string
		ok     func(float64) bool
		want   string
	}{
		{"openwaba_queue_stats_up", nil, func(v float64) bool { return v == 1 }, "1"},
		{"openwaba_dispatch_due_messages", map[string]string{"sender": testSender}, func(v float64) bool { return v >= 0 }, "present"},
		{"openwaba_dispatch_lag_seconds", map[string]string{"sender": testSender}, func(v float64) bool { return v >= 0 }, "present"},
		{"openwaba_webhook_outbox_pending", nil, func(v float64) bool { return v >= 1 }, ">= 1"},
		{"openwaba_webhook_outbox_oldest_pending_seconds", nil, func(v float64) bool { return v >= 0 }, "present"},
		{"openwaba_webhook_dead_letters", nil, func(v float64) bool { return v >= 1 }, ">= 1"},
		{"openwaba_build_info", map[string]string{"version": buildVersion().Version}, func(v float64) bool { return v == 1 }, "1"},
		{"go_goroutines", nil, func(v float64) bool { return v > 0 }, "> 0"},
		{"process_start_time_seconds", nil, func(v float64) bool { return v > 0 }, "> 0"},
	}
	for _, c := range gauges {
		if v, ok := sample(after, c.name, c.labels); !ok || !c.ok(v) {
			t.Errorf("%s%v = %v (present %v), want %s", c.name, c.labels, v, ok, c.want)
		}
	}
}

// TestMetricsAccess: /metrics answers the networks of --metrics-allow
// only; a client elsewhere (another loopback address here) gets 403, and
// with none there is no such route.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		allow []netip.Prefix
		from  string
		want  int
	}{
		{"allowed address", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "127.0.0.1", http.StatusOK},
		{"address outside the allowed network", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "127.0.0.2", http.StatusForbidden},
		{"default: all of loopback", metrics.Loopback, "127.0.0.2", http.StatusOK},
		{"metrics off", nil, "127.0.0.1", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startTestGateway(t, func(c *config) { c.MetricsAllow = tc.allow })
			c := rawConn(t, g, tc.from)
			status, err := roundTrip(c, bufio.NewReader(c), "GET", "/metrics", "")
			if err != nil || status != tc.want {
				t.Errorf("GET /metrics from %s: %d %v, want %d", tc.from, status, err, tc.want)
			}
		})
	}
}

// TestDebugListener: pprof answers on --debug-addr only, never on the
// API's listener.
func TestDebugListener(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name      string
		debugAddr string
	}{
		{"with --debug-addr", "127.0.0.1:0"},
		{"without", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startTestGateway(t, func(c *config) { c.DebugAddr = tc.debugAddr })
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
				if status, body := get(t, g.BaseURL+path); status != http.StatusNotFound {
					t.Errorf("API listener: GET %s: %d %.100s, want 404", path, status, body)
				}
			}
			if tc.debugAddr == "" {
				if g.DebugAddr != "" {
					t.Errorf("a debug listener on %s without --debug-addr", g.DebugAddr)
				}
				return
			}
			if status, body := get(t, "http://"+g.DebugAddr+"/debug/pprof/"); status != http.StatusOK || !strings.Contains(body, "goroutine") {
				t.Errorf("debug listener: GET /debug/pprof/: %d %.200s", status, body)
			}
			if status, _ := get(t, "http://"+g.DebugAddr+"/debug/pprof/goroutine?debug=1"); status != http.StatusOK {
				t.Errorf("debug listener: goroutine profile: %d", status)
			}
		})
	}
}

// syncBuffer is a log destination the gateway's goroutines share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

// TestLogFormat: with --log-format json every line the gateway logs is a
// JSON object, and each request's line carries the request id the
// response's X-Request-Id has: the client's when it sent a sane one, a
// new one otherwise. The text format carries the same.
func TestLogFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format   string
		incoming string
		keep     bool
	}{
		{"json", "", false},
		{"json", "req-7f3a", true},
		{"json", `bad id" level=ERROR`, false},
		{"text", "req-7f3a", true},
		{"text", "", false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %q", tc.format, tc.incoming), func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			log, err := newLogger("info", tc.format, &out)
			if err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(t)
			cfg.LogFormat = tc.format
			gw, err := startGateway(context.Background(), cfg, log, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			g := &testGateway{gateway: gw, t: t, BaseURL: "http://" + gw.Addr, cfg: cfg}
			t.Cleanup(g.stop)

			req, _ := http.NewRequest("GET", g.BaseURL+"/api/balance", nil)
			req.Header.Set("X-Api-Key", testKey)
			if tc.incoming != "" {
				req.Header.Set(httplog.Header, tc.incoming)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			id := resp.Header.Get(httplog.Header)
			if resp.StatusCode != 200 || id == "" {
				t.Fatalf("GET /api/balance: %d, X-Request-Id %q", resp.StatusCode, id)
			}
			if tc.keep != (id == tc.incoming) {
				t.Errorf("X-Request-Id %q for the client's %q: want it kept %v", id, tc.incoming, tc.keep)
			}
			g.stop() // every line written

			var requests []string
			for _, line := range out.lines() {
				switch tc.format {
				case "json":
					var rec map[string]any
					if err := json.Unmarshal([]byte(line), &rec); err != nil {
						t.Fatalf("log line is not JSON: %q: %v", line, err)
					}
					if rec["msg"] == "request" {
						requests = append(requests, fmt.Sprintf("%v %v %v %v", rec["request_id"], rec["path"], rec["route"], rec["status"]))
					}
				case "text":
					if strings.Contains(line, "msg=request ") {
						requests = append(requests, line)
					}
				}
			}
			want := id + " /api/balance GET /api/balance 200"
			if tc.format == "text" {
				if len(requests) != 1 || !strings.Contains(requests[0], "request_id="+id) || !strings.Contains(requests[0], "status=200") {
					t.Errorf("request lines %q, want one with request_id=%s", requests, id)
				}
			} else if !slices.Equal(requests, []string{want}) {
				t.Errorf("request records %q, want [%s]", requests, want)
			}
		})
	}
}

// TestObserveFlags: --log-format, --metrics-allow and --debug-addr, their
// variables and their checks.
func TestObserveFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		format  string
		allow   string
		debug   string
		wantErr string
	}{
		{name: "defaults", format: "text", allow: "127.0.0.0/8,::1/128"},
		{name: "variables", env: map[string]string{"OPENWABA_LOG_FORMAT": "JSON", "OPENWABA_METRICS_ALLOW": "10.0.0.0/8, 192.168.1.5,fd00::/8", "OPENWABA_DEBUG_ADDR": "127.0.0.1:6060"},
			format: "json", allow: "10.0.0.0/8,192.168.1.5/32,fd00::/8", debug: "127.0.0.1:6060"},
		{name: "flags over variables", args: []string{"--log-format", "text", "--metrics-allow", "10.1.2.3/16", "--debug-addr", ":6061"},
			env: map[string]string{"OPENWABA_LOG_FORMAT": "json", "OPENWABA_METRICS_ALLOW": "none"}, format: "text", allow: "10.1.0.0/16", debug: ":6061"},
		{name: "metrics off", args: []string{"--metrics-allow", "none"}, format: "text", allow: "none"},
		{name: "unknown format", args: []string{"--log-format", "xml"}, wantErr: `log format "xml"`},
		{name: "unknown format in the variable", env: map[string]string{"OPENWABA_LOG_FORMAT": "logfmt"}, wantErr: "OPENWABA_LOG_FORMAT"},
		{name: "bad network", args: []string{"--metrics-allow", "10.0.0.0/33"}, wantErr: "10.0.0.0/33"},
		{name: "bad network in the variable", env: map[string]string{"OPENWABA_METRICS_ALLOW": "everyone"}, wantErr: "OPENWABA_METRICS_ALLOW"},
		{name: "no network", args: []string{"--metrics-allow", " , "}, wantErr: "no network"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return tc.env[k] }
			c, err := parseServeFlags(tc.args, getenv, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			allow := (*prefixList)(&c.MetricsAllow).String()
			if c.LogFormat != tc.format || allow != tc.allow || c.DebugAddr != tc.debug {
				t.Errorf("format %q, allow %q, debug %q; want %q, %q, %q", c.LogFormat, allow, c.DebugAddr, tc.format, tc.allow, tc.debug)
			}
		})
	}
}

// TestNewLoggerRefuses: a level or format the logger does not know.
func TestNewLoggerRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ level, format string }{{"loud", "text"}, {"info", "xml"}}
	for _, tc := range tests {
		t.Run(tc.level+" "+tc.format, func(t *testing.T) {
			t.Parallel()
			if _, err := newLogger(tc.level, tc.format, io.Discard); err == nil {
				t.Errorf("newLogger(%q, %q) took it", tc.level, tc.format)
			}
		})
	}
	if l, err := newLogger("warn", "json", io.Discard); err != nil || l.Enabled(context.Background(), slog.LevelInfo) {
		t.Errorf("newLogger(warn, json): %v, info enabled", err)
	}
}
