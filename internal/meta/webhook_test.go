package meta_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/openwaba/openwaba/internal/meta"
)

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	body := []byte("The quick brown fox jumps over the lazy dog")
	// RFC-style known answer for HMAC-SHA256 with key "key".
	const known = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := meta.Sign("key", body); got != known {
		t.Fatalf("Sign = %s, want %s", got, known)
	}
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   bool
	}{
		{"valid", "key", body, known, true},
		{"valid upper-case hex", "key", body, "sha256=" + strings.ToUpper(strings.TrimPrefix(known, "sha256=")), true},
		{"other body", "key", append(bytes.Clone(body), '.'), known, false},
		{"other secret", "other", body, known, false},
		{"no prefix", "key", body, strings.TrimPrefix(known, "sha256="), false},
		{"sha1", "key", body, "sha1=" + strings.TrimPrefix(known, "sha256="), false},
		{"not hex", "key", body, "sha256=zz", false},
		{"truncated", "key", body, known[:len(known)-2], false},
		{"empty header", "key", body, "", false},
		{"empty secret never verifies", "", body, meta.Sign("", body), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := meta.VerifySignature(tt.secret, tt.body, tt.header); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWebhookHandshake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		verifyToken string
		query       url.Values
		wantStatus  int
		wantBody    string
	}{
		{"good", verify, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verify}, "hub.challenge": {"1158201444"}}, 200, "1158201444"},
		{"wrong token", verify, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1"}}, 403, ""},
		{"no token", verify, url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1"}}, 403, ""},
		{"wrong mode", verify, url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {verify}, "hub.challenge": {"1"}}, 403, ""},
		{"no verify token configured", "", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {""}, "hub.challenge": {"1"}}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(meta.NewWebhookHandler(meta.WebhookConfig{AppSecret: appSecret, VerifyToken: tt.verifyToken, Sink: newSink()}))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/webhooks/meta?" + tt.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				if string(body) != tt.wantBody || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
					t.Errorf("body %q (%s), want the raw challenge %q as text/plain", body, resp.Header.Get("Content-Type"), tt.wantBody)
				}
			}
		})
	}
}

func TestWebhookPost(t *testing.T) {
	t.Parallel()
	good := readWebhook(t, "text.json")
	tests := []struct {
		name       string
		method     string
		body       []byte
		signature  string
		sinkErr    error
		maxBody    int64
		wantStatus int
		wantSink   bool
	}{
		{"signed", http.MethodPost, good, meta.Sign(appSecret, good), nil, 0, 200, true},
		{"missing signature", http.MethodPost, good, "", nil, 0, 401, false},
		{"signed with another secret", http.MethodPost, good, meta.Sign("other", good), nil, 0, 401, false},
		{"signature of another body", http.MethodPost, good, meta.Sign(appSecret, readWebhook(t, "image.json")), nil, 0, 401, false},
		{"signed but not JSON", http.MethodPost, []byte(`{"object":`), meta.Sign(appSecret, []byte(`{"object":`)), nil, 0, 400, false},
		{"signed but not whatsapp", http.MethodPost, readWebhook(t, "not_whatsapp.json"), meta.Sign(appSecret, readWebhook(t, "not_whatsapp.json")), nil, 0, 400, false},
		{"nothing to store", http.MethodPost, readWebhook(t, "other_field_only.json"), meta.Sign(appSecret, readWebhook(t, "other_field_only.json")), nil, 0, 200, false},
		{"sink fails", http.MethodPost, good, meta.Sign(appSecret, good), errors.New("disk full"), 0, 500, false},
		{"sender gone before it was stored", http.MethodPost, good, meta.Sign(appSecret, good), fmt.Errorf("apply: %w", context.Canceled), 0, 499, false},
		{"too large", http.MethodPost, good, meta.Sign(appSecret, good), nil, 100, 413, false},
		{"wrong method", http.MethodPut, good, meta.Sign(appSecret, good), nil, 0, 405, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink()
			s.setFailing(tt.sinkErr)
			srv := httptest.NewServer(meta.NewWebhookHandler(meta.WebhookConfig{AppSecret: appSecret, VerifyToken: verify, Sink: s, MaxBody: tt.maxBody}))
			defer srv.Close()
			req, _ := http.NewRequest(tt.method, srv.URL, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tt.signature)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			got := s.notifications()
			if tt.wantSink != (len(got) == 1) {
				t.Fatalf("sink got %d notifications, want called=%v", len(got), tt.wantSink)
			}
			if tt.wantSink && got[0].Changes[0].Messages[0].WAMID != "wamid.TEXT" {
				t.Errorf("sink got %+v", got[0])
			}
		})
	}
}

func TestNewWebhookHandlerWithoutSinkPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic without a Sink")
		}
	}()
	meta.NewWebhookHandler(meta.WebhookConfig{AppSecret: appSecret})
}

// TestAbandonedWebhookIsNoError: a webhook whose sender went away before it
// was stored is no failure of the gateway (Meta sends it again): logged
// below error level, unlike a sink that fails.
func TestAbandonedWebhookIsNoError(t *testing.T) {
	t.Parallel()
	good := readWebhook(t, "text.json")
	for _, tc := range []struct {
		err      error
		errorLog bool
	}{
		{fmt.Errorf("apply: %w", context.Canceled), false},
		{errors.New("disk full"), true},
	} {
		var log bytes.Buffer
		s := newSink()
		s.setFailing(tc.err)
		h := meta.NewWebhookHandler(meta.WebhookConfig{AppSecret: appSecret, Sink: s,
			Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))})
		req := httptest.NewRequest(http.MethodPost, "/webhooks/meta", bytes.NewReader(good))
		req.Header.Set("X-Hub-Signature-256", meta.Sign(appSecret, good))
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got := strings.Contains(log.String(), "level=ERROR"); got != tc.errorLog {
			t.Errorf("%v: error logged %v, want %v (log %q)", tc.err, got, tc.errorLog, log.String())
		}
	}
}
