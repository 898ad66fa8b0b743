package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/sandbox"
)

// With a Meta access token the gateway talks to Meta, not to its own
// sandbox. A sandbox standing in for graph.facebook.com (with its own
// token, app secret and number) checks that a configuration like a real
// WABA's works end to end: senders add, the signed inbound webhook, the
// send with the configured token, and the signed status webhooks back.
func TestMetaModeEndToEnd(t *testing.T) {
	t.Parallel()
	const (
		token, secret   = "meta-access-token", "meta-app-secret"
		phoneID, wabaID = "106540352242922", "102290129340398"
		number          = "4915100000042"
	)
	// The gateway's address is known only once it runs, and the sandbox
	// needs it for its webhooks: the Graph server delegates to a sandbox
	// set afterwards.
	var graph atomic.Pointer[sandbox.Sandbox]
	graphSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		graph.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(graphSrv.Close)
	g := startTestGateway(t, func(c *config) {
		c.MetaAccessToken, c.MetaAppSecret, c.MetaVerifyToken, c.MetaGraphURL = token, secret, "verify", graphSrv.URL
		c.SenderWatchInterval = 20 * time.Millisecond
	})
	if g.sandbox != nil {
		t.Fatal("the built-in sandbox runs although Meta is configured")
	}
	spec, err := specOnce()
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.New(sandbox.Config{AccessToken: token, AppSecret: secret, WebhookURL: g.BaseURL + "/webhooks/meta",
		StatusDelay: 5 * time.Millisecond, Spec: spec})
	sb.AddNumber(phoneID, wabaID, number)
	graph.Store(sb)
	t.Cleanup(sb.Close) // before the gateway stops: no webhooks to a closed server

	if out, err := runCLI(t, g.cfg.DataDir, "senders", "add", number, "--phone-number-id", phoneID, "--waba-id", wabaID); err != nil {
		t.Fatalf("senders add: %v %s", err, out)
	}
	accounts, err := g.store.Accounts(context.Background())
	if err != nil || len(accounts) == 0 {
		t.Fatalf("accounts: %v %v", accounts, err)
	}
	if r := g.do("POST", "/api/sandbox/inbound", `{"from":"`+testUser+`","to":"`+number+`","text":"Hi"}`); r.Status != http.StatusNotFound {
		t.Errorf("sandbox endpoint in Meta mode: %d, want 404", r.Status)
	}

	// The user writes (signed with the app secret), which opens the window.
	if _, err := sb.Inbound(context.Background(), testUser, number, "Hallo"); err != nil {
		t.Fatalf("inbound webhook: %v", err)
	}
	// In Meta mode the default account starts with nothing: a send is
	// seven's refusal for too little credit, code 500 in an HTTP 200,
	// and nothing is stored.
	if accounts[0].Balance != 0 {
		t.Errorf("the default account starts with %s in Meta mode, want 0 (docs/meta.md)", accounts[0].Balance)
	}
	// The number's templates arrive without a restart.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ts, err := g.store.Templates(context.Background(), accounts[0].ID); err == nil && len(ts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no templates synced for the new number")
		}
	}
	broke := g.do("POST", "/api/waba/messages", `{"from":"`+number+`","to":"`+testUser+`","type":"template","template":"hello_world","language":"de"}`)
	if m := broke.JSON(t); broke.Status != http.StatusOK || m["success"] != "500" {
		t.Fatalf("send without balance: %d %s, want 200 with success 500", broke.Status, broke.Body)
	}
	if _, err := g.store.Credit(context.Background(), accounts[0].ID, 10_000_000, "test"); err != nil {
		t.Fatal(err)
	}
	id := firstID(t, g.send(`{"from":"`+number+`","to":"`+testUser+`","text":"Wie können wir helfen?","foreign_id":"ticket-9"}`))
	m := g.waitStatus(id, "read")
	if m.ForeignID != "ticket-9" {
		t.Errorf("message %v", m)
	}
	sent := sb.Sent()
	if len(sent) != 1 || sent[0].Status != http.StatusOK || sent[0].PhoneNumberID != phoneID {
		t.Fatalf("the Graph API received %+v, want one accepted send for %s", sent, phoneID)
	}

	// An expired token stops the sender; the message waits, it is not lost.
	sb.InjectError(190, 1)
	id = firstID(t, g.send(`{"from":"`+number+`","to":"`+testUser+`","text":"Noch da?"}`))
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t)
		if code, _ := m["error_code"].(float64); code == 190 {
			if m["status"] != "queued" {
				t.Errorf("after 190 the message is %v, want queued", m["status"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the 190 never showed: %v", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
