package dispatch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/meta"
)

// recordedMetrics keeps what the dispatcher reported.
type recordedMetrics struct {
	mu     sync.Mutex
	sends  []string // "outcome code"
	waits  int
	leases []int
	// inFlight is the sends in flight now; peak the most seen.
	inFlight, peak int
}

func (r *recordedMetrics) InFlight(delta int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight += delta
	r.peak = max(r.peak, r.inFlight)
}

func (r *recordedMetrics) Sent(outcome string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sends = append(r.sends, outcome+" "+itoa(code))
}

func (r *recordedMetrics) PacingWait(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits++
}

func (r *recordedMetrics) SenderLeases(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leases = append(r.leases, n)
}

// TestMetricsOfSends: each send is reported once with its outcome and
// Meta's code, after one pacing wait.
func TestMetricsOfSends(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name   string
		inject int    // Meta error of the first send; 0: none
		graph  string // another Graph API URL
		want   string
	}{
		{"taken", 0, "", SendOK + " 0"},
		{"throughput limit", 130429, "", SendRetryable + " 130429"},
		{"undeliverable", 131026, "", SendRefused + " 131026"},
		{"token refused", 190, "", SendSenderBlocked + " 190"},
		{"no connection", 0, closed.URL, SendNetwork + " 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordedMetrics{}
			cfg := Config{Metrics: rec}
			if tc.graph != "" {
				cfg.Upstream = meta.NewClient(meta.Config{GraphURL: tc.graph, AccessToken: testToken})
			}
			e := newEnv(t, cfg)
			e.acceptTemplate(t)
			if tc.inject != 0 {
				e.sb.InjectError(tc.inject, 1)
			}
			e.dispatchDue(t)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if !slices.Equal(rec.sends, []string{tc.want}) {
				t.Errorf("sends %v, want [%s]", rec.sends, tc.want)
			}
			if rec.waits != 1 {
				t.Errorf("%d pacing waits, want 1", rec.waits)
			}
			if rec.peak != 1 || rec.inFlight != 0 {
				t.Errorf("sends in flight peaked at %d and end at %d, want 1 and 0", rec.peak, rec.inFlight)
			}
		})
	}
}

// TestMetricsOfSenderLeases: a node sharing senders reports how many it
// holds, and none once it stopped and gave them up.
func TestMetricsOfSenderLeases(t *testing.T) {
	t.Parallel()
	rec := &recordedMetrics{}
	e := newEnv(t, Config{Metrics: rec, Node: "node-1", Poll: 10 * time.Millisecond})
	m := e.acceptTemplate(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.d.Run(ctx)
	}()
	for deadline := time.Now().Add(10 * time.Second); e.message(t, m.ID).WAMID == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the message was not handed to WhatsApp within 10 s")
		}
	}
	cancel()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !slices.Contains(rec.leases, 1) {
		t.Errorf("sender leases reported %v, want a 1 while it sent", rec.leases)
	}
	if n := len(rec.leases); n == 0 || rec.leases[n-1] != 0 {
		t.Errorf("sender leases reported %v, want 0 last, after the release", rec.leases)
	}
}
