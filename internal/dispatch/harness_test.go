package dispatch

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/receive"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

const (
	testToken   = "dispatch-test-token"
	testSecret  = "dispatch-test-secret"
	testPhoneID = "106540352242922"
	testWABA    = "102290129340398"
	testNumber  = "4915112345678"
	testUser    = "4917612345678"
)

// t0 is the fake clock's start; messages are valid for a day from it.
var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// clock is a settable clock for the dispatcher and the store. The
// sandbox keeps the real one: its webhooks run on real timers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// logBuffer collects log records for assertions on what was logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// env is the dispatcher with its real collaborators: a SQLite store in a
// temporary directory, the sandbox over HTTP, the Meta adapter talking to
// it, and the webhook endpoint feeding the sandbox's status reports back
// into the store.
type env struct {
	clk     *clock
	store   *sqlstore.Store
	sb      *sandbox.Sandbox
	graph   *httptest.Server
	d       *Dispatcher
	logs    *logBuffer
	account openwaba.Account
}

// newEnv starts the collaborators; sandboxOpts adjust the sandbox's
// configuration (its clock is the fake one, so that its rate limits are
// deterministic).
func newEnv(t *testing.T, cfg Config, sandboxOpts ...func(*sandbox.Config)) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: t0}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "openwaba.db"), sqlstore.Options{Now: clk.Now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acct, err := st.CreateAccount(ctx, openwaba.Account{Name: "acme", Currency: "EUR", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Credit(ctx, acct.ID, 100_000_000, "test"); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSender(ctx, openwaba.Sender{Number: testNumber, AccountID: acct.ID, PhoneNumberID: testPhoneID, WABAID: testWABA, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}

	hooks := httptest.NewServer(meta.NewWebhookHandler(meta.WebhookConfig{
		AppSecret: testSecret, Sink: &receive.Sink{Store: st, Now: clk.Now}, Logger: log,
	}))
	t.Cleanup(hooks.Close)
	sbCfg := sandbox.Config{AccessToken: testToken, AppSecret: testSecret, WebhookURL: hooks.URL, StatusDelay: time.Millisecond}
	for _, o := range sandboxOpts {
		o(&sbCfg)
	}
	sb := sandbox.New(sbCfg)
	sb.AddNumber(testPhoneID, testWABA, testNumber)
	graph := httptest.NewServer(sb)
	t.Cleanup(graph.Close)
	t.Cleanup(sb.Close) // first: no webhooks to closed servers

	cfg.Store = st
	if cfg.Upstream == nil {
		cfg.Upstream = meta.NewClient(meta.Config{GraphURL: graph.URL, AccessToken: testToken})
	}
	cfg.Logger, cfg.Now = log, clk.Now
	return &env{clk: clk, store: st, sb: sb, graph: graph, d: New(cfg), logs: logs, account: acct}
}

// accept stores one message due now and valid for ttl, like the API does.
func (e *env) accept(t *testing.T, c openwaba.Content, ttl time.Duration) openwaba.Message {
	t.Helper()
	return e.acceptMessage(t, testNumber, c, ttl)
}

// acceptFrom stores a message of another sender, valid for a day.
func (e *env) acceptFrom(t *testing.T, sender string, c openwaba.Content) openwaba.Message {
	t.Helper()
	return e.acceptMessage(t, sender, c, 24*time.Hour)
}

func (e *env) acceptMessage(t *testing.T, sender string, c openwaba.Content, ttl time.Duration) openwaba.Message {
	t.Helper()
	now := e.clk.Now()
	m := openwaba.Message{
		Sender: sender, Recipient: testUser, Content: c, Text: "x", Encoding: "gsm",
		Category: openwaba.CategoryService, Price: 10_000, TTL: ttl,
		CreatedAt: now, ScheduledAt: now, ExpiresAt: now.Add(ttl), Status: openwaba.StatusQueued,
	}
	res, err := e.store.Accept(context.Background(), e.account.ID, []openwaba.Message{m})
	if err != nil {
		t.Fatal(err)
	}
	return res.Messages[0]
}

// helloWorld is a template message, which needs no window.
var helloWorld = openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{Name: "hello_world", Language: "en"}}

// acceptTemplate stores a template message valid for a day.
func (e *env) acceptTemplate(t *testing.T) openwaba.Message {
	t.Helper()
	return e.accept(t, helloWorld, 24*time.Hour)
}

// dispatchDue claims what is due on the fake clock and processes it the
// way Run's workers do, one at a time, and returns how many it took.
func (e *env) dispatchDue(t *testing.T) int {
	t.Helper()
	msgs, err := e.store.ClaimDue(context.Background(), e.clk.Now(), e.d.cfg.Lease, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		e.d.process(context.Background(), m)
	}
	return len(msgs)
}

// nextDue is when the queue's earliest message is due; it fails the test
// when the queue is empty.
func (e *env) nextDue(t *testing.T) time.Time {
	t.Helper()
	next, ok, err := e.store.NextDue(context.Background())
	if err != nil || !ok {
		t.Fatalf("NextDue = %v, %v, %v; want a queued message", next, ok, err)
	}
	return next
}

func (e *env) message(t *testing.T, id int64) openwaba.Message {
	t.Helper()
	m, err := e.store.Message(context.Background(), e.account.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitStatus waits until the webhooks moved message id to want. Waiting
// is not what is tested: the deadline only ends a test that would hang.
func (e *env) waitStatus(t *testing.T, id int64, want openwaba.Status) openwaba.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := e.message(t, id)
		if m.Status == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d is %s (%d %s), want %s", id, m.Status, m.ErrorCode, m.ErrorText, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sentCount is how many requests reached the sandbox's messages endpoint.
func (e *env) sentCount() int { return len(e.sb.Sent()) }

// logged reports whether a record at level mentions text.
func (e *env) logged(level slog.Level, text string) bool {
	for line := range strings.SplitSeq(e.logs.String(), "\n") {
		if strings.Contains(line, "level="+level.String()) && strings.Contains(line, text) {
			return true
		}
	}
	return false
}
