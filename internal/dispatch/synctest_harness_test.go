package dispatch_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/dispatch"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// The dispatcher tests run in a synctest bubble: time.Now, timers and the
// pacer's token buckets all run on the bubble's fake clock, which only
// moves when every goroutine of the bubble is blocked. A message is due at
// an exact instant and the tests read off the fake clock when it was taken,
// with no real waiting and no timing flakiness.
//
// Everything else is real: the SQLite store in t.TempDir(), the Meta
// adapter, and the sandbox's Graph API over loopback HTTP. The HTTP server
// runs outside the bubble (a goroutine waiting on the network would keep
// the fake clock from moving), and the client inside it keeps no idle
// connections for the same reason. While a request is on the wire the
// bubble is not idle, so no fake time passes during a send.

const (
	testToken         = "sandbox-token"
	testPhoneNumberID = "100000000000001"
	testWABAID        = "200000000000001"
	testSender        = "4915112345678"
	price             = openwaba.Micros(100_000)
	startBalance      = openwaba.Micros(1_000_000_000)
)

// graph is the sandbox serving its Graph API on a loopback port. It is
// created outside the bubble.
type graph struct {
	sb  *sandbox.Sandbox
	url string
}

func newGraph(t testing.TB) *graph {
	t.Helper()
	sb := sandbox.New(sandbox.Config{AccessToken: testToken, AppSecret: "secret"})
	sb.AddNumber(testPhoneNumberID, testWABAID, testSender)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	return &graph{sb: sb, url: srv.URL}
}

// accepted counts the sends the sandbox accepted (HTTP 200).
func (g *graph) accepted() int {
	n := 0
	for _, r := range g.sb.Sent() {
		if r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// sendLog wraps the real Meta client and records, on the bubble's clock,
// every message handed to it and whether WhatsApp took it.
type sendLog struct {
	openwaba.Upstream
	mu    sync.Mutex
	sends []sendRecord
}

type sendRecord struct {
	msg   openwaba.Message
	at    time.Time
	ok    bool
	wamid string
}

func (l *sendLog) Send(ctx context.Context, from openwaba.Sender, m openwaba.Message) (openwaba.Submission, error) {
	at := time.Now()
	sub, err := l.Upstream.Send(ctx, from, m)
	l.mu.Lock()
	l.sends = append(l.sends, sendRecord{msg: m, at: at, ok: err == nil, wamid: sub.WAMID})
	l.mu.Unlock()
	return sub, err
}

func (l *sendLog) records() []sendRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sendRecord(nil), l.sends...)
}

// env is one gateway's worth of dispatching, inside a bubble.
type env struct {
	t       testing.TB
	path    string
	store   *sqlstore.Store
	up      *sendLog
	account openwaba.Account
	cfg     dispatch.Config

	runs []running
}

// running is a dispatcher started by env.start.
type running struct {
	stop context.CancelFunc
	done chan struct{}
}

// newEnv opens a store in a new directory with one account and the
// sandbox's sender (at mps messages per second; 0 for the default). The
// dispatcher sends to the sandbox g, or, with g nil, to e.up.Upstream,
// which the test sets.
func newEnv(t testing.TB, g *graph, mps int) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "openwaba.db")}
	e.open()
	ctx := t.Context()
	var err error
	e.account, err = e.store.CreateAccount(ctx, openwaba.Account{Name: "acme", Balance: startBalance})
	if err != nil {
		t.Fatal(err)
	}
	err = e.store.PutSender(ctx, openwaba.Sender{Number: testSender, AccountID: e.account.ID, PhoneNumberID: testPhoneNumberID, WABAID: testWABAID, MPS: mps})
	if err != nil {
		t.Fatal(err)
	}
	e.up = &sendLog{}
	if g != nil {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
		e.up.Upstream = meta.NewClient(meta.Config{GraphURL: g.url, AccessToken: testToken, HTTPClient: client})
	}
	e.cfg = dispatch.Config{Store: e.store, Upstream: e.up, Logger: slog.New(slog.DiscardHandler)}
	return e
}

func (e *env) open() {
	e.t.Helper()
	s, err := sqlstore.OpenSQLite(context.Background(), e.path, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = s
	e.cfg.Store = s
	e.t.Cleanup(func() { _ = s.Close() })
}

// start runs a dispatcher until stopped (or the test ends); calling it
// again starts another one on the same store, like another node.
func (e *env) start() *dispatch.Dispatcher {
	e.t.Helper()
	d := dispatch.New(e.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r := running{stop: cancel, done: make(chan struct{})}
	e.runs = append(e.runs, r)
	go func() {
		defer close(r.done)
		if err := d.Run(ctx); err != nil {
			e.t.Errorf("Run: %v", err)
		}
	}()
	e.t.Cleanup(e.halt)
	return d
}

// halt stops the dispatchers and waits for them; idempotent.
func (e *env) halt() {
	for _, r := range e.runs {
		r.stop()
	}
	for _, r := range e.runs {
		<-r.done
	}
	e.runs = nil
}

// restart simulates a process restart: the dispatcher stops, the store
// closes and is opened again from its file.
func (e *env) shutdown() {
	e.t.Helper()
	e.halt()
	if err := e.store.Close(); err != nil {
		e.t.Fatal(err)
	}
}

// template is a hello_world template message to recipient i, accepted now,
// due at due, valid for ttl from then.
func template(i int, due time.Time, ttl time.Duration) openwaba.Message {
	now := time.Now()
	m := openwaba.Message{
		Sender:    testSender,
		Recipient: recipient(i),
		Content: openwaba.Content{Type: openwaba.TypeTemplate, Template: &openwaba.TemplateSend{
			Name: "hello_world", Language: "en", Rendered: openwaba.RenderedTemplate{Body: "Hello World"},
		}},
		Category:    openwaba.CategoryMarketing,
		Price:       price,
		TTL:         ttl,
		CreatedAt:   now,
		ScheduledAt: due,
		ExpiresAt:   due.Add(ttl),
	}
	return m
}

func recipient(i int) string {
	const digits = "0123456789"
	b := []byte("4917600000000")
	for p := len(b) - 1; i > 0 && p > 5; p-- {
		b[p] = digits[i%10]
		i /= 10
	}
	return string(b)
}

func (e *env) accept(msgs ...openwaba.Message) []openwaba.Message {
	e.t.Helper()
	res, err := e.store.Accept(e.t.Context(), e.account.ID, msgs)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Messages
}

func (e *env) message(id int64) openwaba.Message {
	e.t.Helper()
	m, err := e.store.Message(e.t.Context(), e.account.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// settled reports whether the dispatcher is done with m: handed to
// WhatsApp, or ended without it.
func settled(m openwaba.Message) bool {
	return m.WAMID != "" || m.Status.Rank() == openwaba.StatusExpired.Rank() || m.Status == openwaba.StatusFailed
}

// waitSettled lets fake time pass, 100 ms at a time, until every message is
// settled, and returns them. It gives up after an hour of fake time.
func (e *env) waitSettled(ids ...int64) []openwaba.Message {
	e.t.Helper()
	return e.waitUntil(settled, ids...)
}

// waitUntil lets fake time pass until done holds for every message.
func (e *env) waitUntil(done func(openwaba.Message) bool, ids ...int64) []openwaba.Message {
	e.t.Helper()
	deadline := time.Now().Add(time.Hour)
	out := make([]openwaba.Message, len(ids))
	finished := make([]bool, len(ids))
	for {
		all := true
		for i, id := range ids {
			if !finished[i] {
				out[i] = e.message(id)
				finished[i] = done(out[i])
				all = all && finished[i]
			}
		}
		if all {
			return out
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("messages not settled after an hour: %+v", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// takenAt is when the dispatcher claimed the message: its queued entry.
func (e *env) takenAt(id int64) time.Time {
	e.t.Helper()
	es, err := e.store.StatusHistory(e.t.Context(), e.account.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range es {
		if ev.Status == openwaba.StatusQueued {
			return ev.At
		}
	}
	e.t.Fatalf("message %d was never queued: %+v", id, es)
	return time.Time{}
}

// refunds counts refund entries per message.
func (e *env) refunds() map[int64]int {
	e.t.Helper()
	entries, err := e.store.Ledger(e.t.Context(), e.account.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	n := map[int64]int{}
	for _, en := range entries {
		if en.Reason == openwaba.ReasonRefund {
			n[en.MessageID]++
		}
	}
	return n
}

func (e *env) balance() openwaba.Micros {
	e.t.Helper()
	a, err := e.store.Account(e.t.Context(), e.account.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Balance
}

func ids(msgs []openwaba.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func isAlreadySent(err error) bool { return errors.Is(err, openwaba.ErrAlreadySent) }
