package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
	"github.com/openwaba/openwaba/internal/webhook"
)

const (
	secret    = "whsec-test"
	ourNumber = "4915112345678"
	user      = "4917612345678"
)

// env is a real SQLite store with one account and a deliverer running
// against it.
type env struct {
	t       *testing.T
	store   *sqlstore.Store
	account openwaba.Account
	d       *webhook.Deliverer
}

// benchEnv is a store with one account, for benchmarks.
type benchEnv struct {
	store   *sqlstore.Store
	account openwaba.Account
}

func newBenchEnv(b *testing.B) benchEnv {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "openwaba.db"), sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	acct, err := store.CreateAccount(ctx, openwaba.Account{Name: "bench", CreatedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	return benchEnv{store, acct}
}

func newEnv(t *testing.T, mutate ...func(*webhook.Config)) *env {
	t.Helper()
	ctx := t.Context()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "openwaba.db"), sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	acct, err := store.CreateAccount(ctx, openwaba.Account{Name: "acme", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Credit(ctx, acct.ID, 100*openwaba.MicrosPerUnit, openwaba.ReasonTopUp); err != nil {
		t.Fatal(err)
	}
	cfg := webhook.Config{
		Store: store, AllowPrivate: true, Timeout: 2 * time.Second, Poll: 20 * time.Millisecond,
		Retries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
		Secret:  func(context.Context, int64) (string, error) { return secret, nil },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	e := &env{t: t, store: store, account: acct, d: webhook.New(cfg)}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.d.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func (e *env) hook(target string, ev openwaba.HookEvent, method, headers string) openwaba.Hook {
	e.t.Helper()
	h, err := e.store.CreateHook(e.t.Context(), openwaba.Hook{
		AccountID: e.account.ID, TargetURL: target, EventType: ev, RequestMethod: method, Headers: headers,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// message accepts a message and takes it to WhatsApp as wamid, then
// applies the statuses given.
func (e *env) message(wamid string, statuses ...openwaba.Status) openwaba.Message {
	e.t.Helper()
	ctx := e.t.Context()
	now := time.Now().UTC()
	res, err := e.store.Accept(ctx, e.account.ID, []openwaba.Message{{
		Sender: ourNumber, Recipient: user, Content: openwaba.Content{Type: openwaba.TypeText, Text: "hi"}, Text: "hi",
		Encoding: "gsm", Category: openwaba.CategoryService, Price: 50_000, TTL: openwaba.DefaultTTL,
		Label: "spring", ForeignID: "order-7", CreatedAt: now, ScheduledAt: now, ExpiresAt: now.Add(openwaba.DefaultTTL),
		Status: openwaba.StatusQueued, StatusAt: now,
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	m := res.Messages[0]
	claimed, err := e.store.ClaimDue(ctx, now, time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		e.t.Fatalf("claim: %v %v", claimed, err)
	}
	if err := e.store.MarkSubmitted(ctx, m.ID, wamid, now); err != nil {
		e.t.Fatal(err)
	}
	for i, st := range statuses {
		u := openwaba.StatusUpdate{WAMID: wamid, Status: st, At: now.Add(-time.Duration(len(statuses)-i) * time.Second)}
		if st == openwaba.StatusFailed {
			u.ErrorCode, u.ErrorText = 131026, "Message undeliverable"
		}
		if _, err := e.store.ApplyStatus(ctx, u); err != nil {
			e.t.Fatal(err)
		}
	}
	e.d.Notify()
	return m
}

// dead waits until the account has n dead deliveries and returns them.
func (e *env) dead(n int) []openwaba.Delivery {
	e.t.Helper()
	return waitFor(e.t, fmt.Sprintf("%d dead deliveries", n), func() ([]openwaba.Delivery, bool) {
		ds, err := e.store.DeadDeliveries(e.t.Context(), e.account.ID)
		return ds, err == nil && len(ds) == n
	})
}

// waitFor polls cond until it holds, or fails the test after a generous
// deadline (not a timing assertion: a healthy run takes milliseconds).
func waitFor[T any](t *testing.T, what string, cond func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, ok := cond()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %+v", what, v)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// received is one request a receiver got.
type received struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

// receiver is a real HTTP server that records what it gets and answers
// with the status codes of answers in turn (200 once they run out).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	answers []int
	delay   []time.Duration
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(r.handler())
	t.Cleanup(r.Close)
	return r
}

// newReceiverOn starts a receiver on addr, which a closed one had.
func newReceiverOn(t *testing.T, addr string) *receiver {
	r := &receiver{}
	r.Server = httptest.NewUnstartedServer(r.handler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	r.Listener.Close()
	r.Listener = ln
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, received{req.Method, "http://" + req.Host + req.URL.RequestURI(), req.Header.Clone(), body})
		code := http.StatusOK
		if n < len(r.answers) {
			code = r.answers[n]
		}
		var wait time.Duration
		if n < len(r.delay) {
			wait = r.delay[n]
		}
		r.mu.Unlock()
		time.Sleep(wait)
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(code)
	})
}

// countingTransport counts the attempts a client makes.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitRequests waits until the receiver got n requests.
func (r *receiver) waitRequests(t *testing.T, n int) []received {
	t.Helper()
	return waitFor(t, fmt.Sprintf("%d requests", n), func() ([]received, bool) {
		got := r.requests()
		return got, len(got) >= n
	})
}

// verify checks a webhook's signature the way a customer would, written
// from seven's documentation, independently of internal/signature.
func verify(t *testing.T, r received) {
	t.Helper()
	ts, nonce, sig := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce"), r.Header.Get("X-Signature")
	if ts == "" || nonce == "" || sig == "" {
		t.Fatalf("unsigned webhook: %v", r.Header)
	}
	sum := md5.Sum(r.Body)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s\n%s\n%s\n%s\n%s", ts, nonce, r.Method, r.URL, hex.EncodeToString(sum[:]))
	if want := hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(sig), []byte(want)) {
		t.Fatalf("X-Signature %s does not verify (want %s)", sig, want)
	}
}
