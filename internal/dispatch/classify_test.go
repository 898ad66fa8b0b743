package dispatch

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// Temporary errors, by Meta's code whatever the HTTP status (rate limits
// come as 400, service errors as 500 or 503), put the message back in the
// queue after a backoff; the next attempt sends it.
func TestRetryableErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code     int
		minDelay time.Duration // the backoff of a first attempt is 1 s ± 20 %
		maxDelay time.Duration
	}{
		{130429, 800 * time.Millisecond, 1200 * time.Millisecond}, // throughput
		{131056, 6 * time.Second, 6 * time.Second},                // pair rate limit: past Meta's 6 s
		{131000, 800 * time.Millisecond, 1200 * time.Millisecond},
		{131016, 800 * time.Millisecond, 1200 * time.Millisecond},
		{2, 800 * time.Millisecond, 1200 * time.Millisecond},
		{133004, 800 * time.Millisecond, 1200 * time.Millisecond},
		{4, 800 * time.Millisecond, 1200 * time.Millisecond},
		{80007, 800 * time.Millisecond, 1200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(itoa(tt.code), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Config{})
			m := e.acceptTemplate(t)
			e.sb.InjectError(tt.code, 1)
			e.dispatchDue(t)

			got := e.message(t, m.ID)
			if got.Status != openwaba.StatusQueued || got.ErrorCode != tt.code || got.WAMID != "" {
				t.Fatalf("after a %d: %s code %d wamid %q, want queued with the code", tt.code, got.Status, got.ErrorCode, got.WAMID)
			}
			delay := e.nextDue(t).Sub(t0)
			if delay < tt.minDelay || delay > tt.maxDelay {
				t.Errorf("retry in %v, want within [%v, %v]", delay, tt.minDelay, tt.maxDelay)
			}
			e.clk.set(t0.Add(delay))
			e.dispatchDue(t)
			if got := e.message(t, m.ID); got.WAMID == "" {
				t.Fatalf("the retry left it %s (%d %s), want it handed to WhatsApp", got.Status, got.ErrorCode, got.ErrorText)
			}
			e.waitStatus(t, m.ID, openwaba.StatusRead)
		})
	}
}

// Permanent errors fail the message at once with Meta's code and text
// and refund it; nothing stays queued.
func TestPermanentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  int
		title string
	}{
		{100, "Invalid parameter"},
		{131009, "Parameter value is not valid"},
		{131026, "Message undeliverable"},
		{131051, "Unsupported message type"},
		{132001, "Template name does not exist"},
		{368, "Temporarily blocked"},
		{3, "API Method"},         // HTTP 500, yet not worth a retry
		{131045, "certificate"},   // HTTP 500 as well
		{10, "Permission Denied"}, // HTTP 403
	}
	for _, tt := range tests {
		t.Run(itoa(tt.code), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Config{})
			m := e.acceptTemplate(t)
			e.sb.InjectError(tt.code, 1)
			e.dispatchDue(t)

			got := e.message(t, m.ID)
			if got.Status != openwaba.StatusFailed || got.ErrorCode != tt.code || !strings.Contains(got.ErrorText, tt.title) || !got.Refunded {
				t.Errorf("after a %d: %s code %d %q refunded %v, want failed with Meta's code and title, refunded",
					tt.code, got.Status, got.ErrorCode, got.ErrorText, got.Refunded)
			}
			if _, ok, _ := e.store.NextDue(t.Context()); ok {
				t.Error("a permanently failed message is still queued")
			}
		})
	}
}

// Without an answer from Meta, the network and the proxies in front of
// Graph decide: no connection and server errors are retried, a client
// error page is not.
func TestTransportErrors(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name      string
		url       string
		handler   http.HandlerFunc
		retryable bool
	}{
		{"connection refused", closed.URL, nil, true},
		{"502 from a proxy", "", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>Bad Gateway</html>", http.StatusBadGateway)
		}, true},
		{"503 without body", "", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, true},
		{"404 page", "", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "not here", http.StatusNotFound)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := tt.url
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			e := newEnv(t, Config{Upstream: meta.NewClient(meta.Config{GraphURL: url, AccessToken: testToken})})
			m := e.acceptTemplate(t)
			e.dispatchDue(t)
			got := e.message(t, m.ID)
			if tt.retryable && got.Status != openwaba.StatusQueued {
				t.Errorf("%s: message %s (%s), want queued for a retry", tt.name, got.Status, got.ErrorText)
			}
			if !tt.retryable && got.Status != openwaba.StatusFailed {
				t.Errorf("%s: message %s (%s), want failed", tt.name, got.Status, got.ErrorText)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
