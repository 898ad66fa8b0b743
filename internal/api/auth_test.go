package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/signature"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/pricing"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// clock is a settable time for the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	store *sqlstore.Store
	clock *clock
	url   string
}

// newFixture serves the API over real HTTP on a real SQLite store, with an
// account (id 1) holding key "key-a" (scope waba) and 10.00 EUR.
func newFixture(t *testing.T, mutate func(*api.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "openwaba.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg := api.Config{Store: s, Pricer: pricing.Default(), Now: c.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	srv := httptest.NewServer(api.New(cfg))
	t.Cleanup(srv.Close)
	f := &fixture{t: t, store: s, clock: c, url: srv.URL}
	a := f.account("a", 10*openwaba.MicrosPerUnit)
	f.key(a, "key-a", nil, openwaba.ScopeWABA)
	return f
}

func (f *fixture) account(name string, balance openwaba.Micros) int64 {
	f.t.Helper()
	a, err := f.store.CreateAccount(context.Background(), openwaba.Account{Name: name, Balance: balance})
	if err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

func (f *fixture) key(account int64, secret string, expires *time.Time, scopes ...openwaba.Scope) openwaba.APIKey {
	f.t.Helper()
	k, err := f.store.CreateAPIKey(context.Background(), openwaba.APIKey{AccountID: account, Hash: api.HashKey(secret), Scopes: scopes, ExpiresAt: expires})
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(method, path, body string, headers ...string) reply {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func TestAuthForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	past := f.clock.Now().Add(-time.Second)
	future := f.clock.Now().Add(time.Hour)
	f.key(1, "expired", &past, openwaba.ScopeWABA)
	f.key(1, "not-yet-expired", &future, openwaba.ScopeWABA)
	revoked := f.key(1, "revoked", nil, openwaba.ScopeWABA)
	if _, err := f.store.RevokeAPIKey(context.Background(), 1, revoked.ID, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.key(1, "analytics", nil, openwaba.ScopeAnalytics)
	basic := base64.StdEncoding.EncodeToString([]byte("user:key-a"))
	tests := []struct {
		name    string
		path    string
		headers []string
		status  int
		body    string
	}{
		{"X-Api-Key", "/api/balance", []string{"X-Api-Key", "key-a"}, 200, `{"amount":10,"currency":"EUR"}` + "\n"},
		{"Bearer", "/api/balance", []string{"Authorization", "Bearer key-a"}, 200, ""},
		{"Basic bare key", "/api/balance", []string{"Authorization", "Basic key-a"}, 200, ""},
		{"Basic user:key", "/api/balance", []string{"Authorization", "Basic " + basic}, 200, ""},
		{"missing", "/api/balance", nil, 401, "900"},
		{"wrong", "/api/balance", []string{"X-Api-Key", "nope"}, 401, "900"},
		{"wrong bearer", "/api/balance", []string{"Authorization", "Bearer nope"}, 401, "900"},
		{"expired", "/api/balance", []string{"X-Api-Key", "expired"}, 401, "900"},
		{"not yet expired", "/api/balance", []string{"X-Api-Key", "not-yet-expired"}, 200, ""},
		{"revoked", "/api/balance", []string{"X-Api-Key", "revoked"}, 401, "900"},
		{"balance needs no scope", "/api/balance", []string{"X-Api-Key", "analytics"}, 200, ""},
		{"waba scope missing", "/api/waba/messages/1", []string{"X-Api-Key", "analytics"}, 403, "902"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := f.do("GET", tc.path, "", tc.headers...)
			if r.status != tc.status || (tc.body != "" && r.body != tc.body) {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tc.status, tc.body)
			}
		})
	}
}

func TestKeyLastUsed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.do("GET", "/api/balance", "", "X-Api-Key", "key-a")
	k, err := f.store.APIKeyByHash(context.Background(), api.HashKey("key-a"))
	if err != nil || k.LastUsedAt == nil || !k.LastUsedAt.Equal(f.clock.Now()) {
		t.Fatalf("last used = %v, %v; want %v", k.LastUsedAt, err, f.clock.Now())
	}
	// Within a minute it is not written again; after one it is.
	first := f.clock.Now()
	f.clock.Add(30 * time.Second)
	f.do("GET", "/api/balance", "", "X-Api-Key", "key-a")
	k, _ = f.store.APIKeyByHash(context.Background(), api.HashKey("key-a"))
	if !k.LastUsedAt.Equal(first) {
		t.Fatalf("last used moved to %v within a minute", k.LastUsedAt)
	}
	f.clock.Add(time.Minute)
	f.do("GET", "/api/balance", "", "X-Api-Key", "key-a")
	k, _ = f.store.APIKeyByHash(context.Background(), api.HashKey("key-a"))
	if !k.LastUsedAt.Equal(f.clock.Now()) {
		t.Fatalf("last used %v, want %v", k.LastUsedAt, f.clock.Now())
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *api.Config) { c.RateLimit, c.RateBurst = 2, 3 })
	f.key(1, "key-b", nil, openwaba.ScopeWABA)
	for i, want := range []string{"2", "1", "0"} {
		r := f.do("GET", "/api/balance", "", "X-Api-Key", "key-a")
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != want {
			t.Fatalf("request %d: %d, limit %q remaining %q, want 200, 3, %s", i, r.status, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), want)
		}
	}
	r := f.do("GET", "/api/balance", "", "X-Api-Key", "key-a")
	if r.status != 429 || !strings.Contains(r.body, `"error_code":429`) || !strings.Contains(r.body, "rate limit exceeded") {
		t.Fatalf("over the limit: %d %s", r.status, r.body)
	}
	if r.header.Get("Retry-After") != "1" || r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") != "2" {
		t.Fatalf("headers: %v", r.header)
	}
	// Another key has its own bucket.
	if r := f.do("GET", "/api/balance", "", "X-Api-Key", "key-b"); r.status != 200 {
		t.Fatalf("other key: %d", r.status)
	}
	// Half a second later one token is back (2 per second).
	f.clock.Add(500 * time.Millisecond)
	if r := f.do("GET", "/api/balance", "", "X-Api-Key", "key-a"); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("after refill: %d remaining %q", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
	f.clock.Add(10 * time.Second)
	if r := f.do("GET", "/api/balance", "", "X-Api-Key", "key-a"); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" || r.header.Get("X-RateLimit-Reset") != "1" {
		t.Fatalf("after a full refill: %d %v", r.status, r.header)
	}
}

func TestSignedRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if err := f.store.SetSigningSecret(context.Background(), 1, "sig-secret"); err != nil {
		t.Fatal(err)
	}
	now := strconv.FormatInt(f.clock.Now().Unix(), 10)
	old := strconv.FormatInt(f.clock.Now().Add(-31*time.Second).Unix(), 10)
	body := `{"from":"4915112345678","to":"4917612345678","text":"hi","debug":"1"}`
	signed := func(ts, nonce, method, path, body string) []string {
		return []string{"X-Api-Key", "key-a", "X-Timestamp", ts, "X-Nonce", nonce,
			"X-Signature", signature.Sign("sig-secret", ts, nonce, method, f.url+path, []byte(body))}
	}
	tests := []struct {
		name    string
		method  string
		body    string
		headers []string
		status  int
		msg     string
	}{
		{"unsigned", "GET", "", []string{"X-Api-Key", "key-a"}, 401, "X-Signature, X-Timestamp and X-Nonce are required"},
		{"good GET", "GET", "", signed(now, "n1", "GET", "/api/balance", ""), 200, ""},
		{"good POST", "POST", body, signed(now, "n2", "POST", "/api/waba/messages", body), 400, openwaba.TextInvalidSender},
		{"replayed nonce", "GET", "", signed(now, "n1", "GET", "/api/balance", ""), 401, "replayed"},
		{"too old", "GET", "", signed(old, "n3", "GET", "/api/balance", ""), 401, "more than 30 seconds"},
		{"body changed", "POST", body + " ", signed(now, "n4", "POST", "/api/waba/messages", body), 401, "does not match"},
		{"wrong secret", "GET", "", []string{"X-Api-Key", "key-a", "X-Timestamp", now, "X-Nonce", "n5", "X-Signature", signature.Sign("other", now, "n5", "GET", f.url+"/api/balance", nil)}, 401, "does not match"},
		{"other URL", "GET", "", signed(now, "n6", "GET", "/api/waba/messages/1", ""), 401, "does not match"},
		{"path-only URL", "GET", "", []string{"X-Api-Key", "key-a", "X-Timestamp", now, "X-Nonce", "n7", "X-Signature", signature.Sign("sig-secret", now, "n7", "GET", "/api/balance", nil)}, 200, ""},
	}
	for _, tc := range tests { // in order: the replay needs n1 used
		path := "/api/balance"
		if tc.method == "POST" {
			path = "/api/waba/messages"
		}
		r := f.do(tc.method, path, tc.body, tc.headers...)
		if r.status != tc.status || !strings.Contains(r.body, tc.msg) {
			t.Errorf("%s: got %d %s, want %d with %q", tc.name, r.status, r.body, tc.status, tc.msg)
		}
	}
	// A request signed just now is still good 30 seconds later, not after.
	f.clock.Add(30 * time.Second)
	if r := f.do("GET", "/api/balance", "", signed(now, "n8", "GET", "/api/balance", "")...); r.status != 200 {
		t.Errorf("30 s old: %d %s", r.status, r.body)
	}
	f.clock.Add(time.Second)
	if r := f.do("GET", "/api/balance", "", signed(now, "n9", "GET", "/api/balance", "")...); r.status != 401 {
		t.Errorf("31 s old: %d %s", r.status, r.body)
	}
	// Accounts that do not sign are not asked to.
	b := f.account("b", 0)
	f.key(b, "key-b", nil, openwaba.ScopeWABA)
	if r := f.do("GET", "/api/balance", "", "X-Api-Key", "key-b"); r.status != 200 {
		t.Errorf("unsigned account: %d %s", r.status, r.body)
	}
}

func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := `{"from":"4915112345678","to":"4917612345678","text":"hi"}`
	send := func(body string) reply {
		return f.do("POST", "/api/waba/messages", body, "X-Api-Key", "key-a", "Idempotency-Key", "k-1")
	}
	first := send(body)
	if first.status != 400 || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v %s", first.status, first.header, first.body)
	}
	again := send(body)
	if again.status != first.status || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v %s", again.status, again.header, again.body)
	}
	if r := send(strings.Replace(body, "hi", "ho", 1)); r.status != 409 || !strings.Contains(r.body, "different request") {
		t.Fatalf("other body: %d %s", r.status, r.body)
	}
	if r := f.do("POST", "/api/waba/messages", body, "X-Api-Key", "key-a", "Idempotency-Key", strings.Repeat("x", 256)); r.status != 400 {
		t.Fatalf("long key: %d %s", r.status, r.body)
	}
	// After 24 hours the key starts afresh.
	f.clock.Add(api.IdempotencyTTL - time.Second)
	if r := send(body); r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("before expiry: %v", r.header)
	}
	f.clock.Add(time.Second)
	if r := send(strings.Replace(body, "hi", "ho", 1)); r.status != 400 || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("after expiry: %d %v %s", r.status, r.header, r.body)
	}
}

// TestIdempotencyKeyLost: a record left running by a gateway that stopped
// half-way is reported as such instead of being waited for.
func TestIdempotencyKeyLost(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := `{"from":"4915112345678","to":"4917612345678","text":"hi"}`
	// The fingerprint the server computes: method, URI, content type, body.
	h := sha256.Sum256([]byte("POST\n/api/waba/messages\napplication/json\n" + body))
	started := f.clock.Now()
	if _, _, err := f.store.BeginIdempotent(context.Background(), openwaba.IdempotencyRecord{
		AccountID: 1, Key: "k-lost", RequestHash: h[:], CreatedAt: started, ExpiresAt: started.Add(api.IdempotencyTTL),
	}, started); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(31 * time.Second)
	r := f.do("POST", "/api/waba/messages", body, "X-Api-Key", "key-a", "Idempotency-Key", "k-lost")
	if r.status != 409 || !strings.Contains(r.body, "did not finish") {
		t.Fatalf("lost record: %d %s", r.status, r.body)
	}
}
