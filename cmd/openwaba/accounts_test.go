package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// secondAccount adds account "b" with key "key-b" (scope waba), 5.00 EUR
// and no sender of its own.
func secondAccount(t *testing.T, g *testGateway) int64 {
	t.Helper()
	ctx := context.Background()
	b, err := g.store.CreateAccount(ctx, openwaba.Account{Name: "b", Currency: "EUR", Balance: 5 * openwaba.MicrosPerUnit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.store.CreateAPIKey(ctx, openwaba.APIKey{AccountID: b.ID, Hash: api.HashKey("key-b"), Scopes: []openwaba.Scope{openwaba.ScopeWABA}}); err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// TestAccountIsolation checks every endpoint with account b's key against
// account a's sender, messages and conversations.
func TestAccountIsolation(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	b := secondAccount(t, g)
	g.openWindow(testUser)
	id := firstID(t, g.send(helloWorld))
	m := g.waitStatus(id, "read")
	wamid := m.WAMID
	later := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	scheduled := firstID(t, g.send(strings.Replace(helloWorld, `"language":"de"`, `"language":"de","delay":`+later, 1)))

	asB := []string{"X-Api-Key", "key-b"}
	invalidSender := `"error_message":"` + openwaba.TextInvalidSender + `"`
	notFound := `{"code":404,"message":"Page not found","errors":[]}`
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"send from a's number", "POST", "/api/waba/messages", helloWorld, 400, invalidSender},
		{"debug send from a's number", "POST", "/api/waba/messages", strings.Replace(helloWorld, `"language":"de"`, `"language":"de","debug":"1"`, 1), 400, invalidSender},
		{"get a's message", "GET", "/api/waba/messages/" + id, "", 404, notFound},
		{"delete a's scheduled message", "DELETE", "/api/waba/messages/" + scheduled, "", 404, notFound},
		{"read receipt on a's number", "POST", "/api/waba/events", `{"from":"4915112345678","to":"4917612345678","event":"read"}`, 400, invalidSender},
		{"typing on a's number", "POST", "/api/waba/events", `{"from":"4915112345678","to":"4917612345678","event":"is_typing"}`, 400, invalidSender},
		{"react to a's message by id", "POST", "/api/waba/events", `{"event":"reaction","msg_id":"` + id + `","emoji":"👍"}`, 404, ""},
		{"react to a's message by wamid", "POST", "/api/waba/events", `{"event":"reaction","msg_id":"` + wamid + `","emoji":"👍"}`, 404, ""},
		{"sandbox inbound to a's number", "POST", "/api/sandbox/inbound", `{"from":"4917612345678","to":"4915112345678","text":"hi"}`, 400, invalidSender},
		{"balance is b's own", "GET", "/api/balance", "", 200, `{"amount":5,"currency":"EUR"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do(tc.method, tc.path, tc.body, asB...)
			if r.Status != tc.status || !strings.Contains(string(r.Body), tc.contains) {
				t.Fatalf("got %d %s, want %d containing %s", r.Status, r.Body, tc.status, tc.contains)
			}
		})
	}
	// Nothing of a's changed, nothing was charged to b.
	if m := g.do("GET", "/api/waba/messages/"+scheduled, "").JSON(t); m["status"] != "scheduled" {
		t.Errorf("a's scheduled message is %v", m["status"])
	}
	if acct, _ := g.store.Account(context.Background(), b); acct.Balance != 5*openwaba.MicrosPerUnit {
		t.Errorf("b's balance %v", acct.Balance)
	}
	// Idempotency keys are per account: b's use of a's key is b's own.
	r1 := g.do("POST", "/api/waba/messages", helloWorld, "Idempotency-Key", "shared")
	r2 := g.do("POST", "/api/waba/messages", helloWorld, "X-Api-Key", "key-b", "Idempotency-Key", "shared")
	if r1.Status != 200 || r2.Status != 400 || !strings.Contains(string(r2.Body), invalidSender) {
		t.Errorf("shared idempotency key: a %d %s, b %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	first := g.do("POST", "/api/waba/messages", helloWorld, "Idempotency-Key", "order-1")
	again := g.do("POST", "/api/waba/messages", helloWorld, "Idempotency-Key", "order-1")
	if first.Status != 200 || again.Status != 200 || string(first.Body) != string(again.Body) {
		t.Fatalf("first %d %s, again %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	if n := debits(t, g, 1); n != 1 {
		t.Fatalf("%d debits, want 1", n)
	}
	other := g.do("POST", "/api/waba/messages", strings.Replace(helloWorld, `"language":"de"`, `"language":"en"`, 1), "Idempotency-Key", "order-1")
	if other.Status != 409 || other.JSON(t)["error_code"] != 409.0 {
		t.Fatalf("other body, same key: %d %s", other.Status, other.Body)
	}
	// A request that failed validation is answered the same way again.
	bad := `{"from":"4915112345678","to":"4917612345678","type":"image"}`
	b1 := g.do("POST", "/api/waba/messages", bad, "Idempotency-Key", "bad-1")
	b2 := g.do("POST", "/api/waba/messages", bad, "Idempotency-Key", "bad-1")
	if b1.Status != 400 || b2.Status != 400 || string(b1.Body) != string(b2.Body) {
		t.Fatalf("bad request: %d %s / %d %s", b1.Status, b1.Body, b2.Status, b2.Body)
	}
	// Without the header every request sends.
	g.send(helloWorld)
	if n := debits(t, g, 1); n != 2 {
		t.Fatalf("%d debits, want 2", n)
	}
}

func TestIdempotencyKeyConcurrent(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	const n = 12
	bodies := make([]string, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := g.do("POST", "/api/waba/messages", helloWorld, "Idempotency-Key", "burst")
			statuses[i], bodies[i] = r.Status, string(r.Body)
		})
	}
	wg.Wait()
	for i := range n {
		if statuses[i] != 200 || bodies[i] != bodies[0] {
			t.Fatalf("request %d: %d %s, want 200 %s", i, statuses[i], bodies[i], bodies[0])
		}
	}
	if got := debits(t, g, 1); got != 1 {
		t.Fatalf("%d debits for %d concurrent requests with one key, want 1", got, n)
	}
}

// debits counts the account's message debits.
func debits(t *testing.T, g *testGateway, account int64) int {
	t.Helper()
	entries, err := g.store.Ledger(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Reason == openwaba.ReasonDebit {
			n++
		}
	}
	return n
}

// TestLedgerUnderConcurrentSendsAndRefunds sends and deletes scheduled
// messages concurrently, running out of money on the way, and checks that
// the balance is the ledger's sum and what the messages say it should be.
func TestLedgerUnderConcurrentSendsAndRefunds(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ctx := context.Background()
	// 1.00 left: 13 marketing templates (0.0735) fit, the 14th does not.
	if _, err := g.store.Credit(ctx, 1, -99*openwaba.MicrosPerUnit, "test"); err != nil {
		t.Fatal(err)
	}
	later := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	body := strings.Replace(helloWorld, `"language":"de"`, `"language":"de","delay":`+later, 1)
	const senders = 24
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ids []string
	refused := 0
	for range senders {
		wg.Go(func() {
			resp := g.send(body)
			switch resp["success"] {
			case "100":
				id := firstID(t, resp)
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
				// Every other one is deleted (and refunded) at once,
				// concurrently with the other sends.
				if n, _ := strconv.Atoi(id); n%2 == 0 {
					if r := g.do("DELETE", "/api/waba/messages/"+id, ""); r.Status != 200 {
						t.Errorf("delete %s: %d %s", id, r.Status, r.Body)
					}
					// A second delete refunds nothing more.
					g.do("DELETE", "/api/waba/messages/"+id, "")
				}
			case "500":
				mu.Lock()
				refused++
				mu.Unlock()
			default:
				t.Errorf("send: %v", resp)
			}
		})
	}
	wg.Wait()
	if len(ids)+refused != senders || len(ids) < 13 {
		t.Fatalf("%d accepted, %d refused", len(ids), refused)
	}
	acct, err := g.store.Account(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := g.store.Ledger(ctx, 1)
	var sum openwaba.Micros
	for _, e := range entries {
		sum += e.Amount
	}
	var want openwaba.Micros = openwaba.MicrosPerUnit
	for _, id := range ids {
		if m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t); m["status"] == "scheduled" {
			want -= 73_500
		}
	}
	if acct.Balance != sum || acct.Balance != want || acct.Balance < 0 {
		t.Fatalf("balance %v, ledger sum %v, want %v (%d accepted)", acct.Balance, sum, want, len(ids))
	}
	refunds := map[int64]int{}
	for _, e := range entries {
		if e.Reason == openwaba.ReasonRefund {
			refunds[e.MessageID]++
		}
	}
	for id, n := range refunds {
		if n != 1 {
			t.Errorf("message %d refunded %d times", id, n)
		}
	}
}
