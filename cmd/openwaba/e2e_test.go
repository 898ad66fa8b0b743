package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

const helloWorld = `{"from":"4915112345678","to":"4917612345678","type":"template","template":"hello_world","language":"de"}`

func freetext(to string) string {
	return `{"from":"4915112345678","to":"` + to + `","text":"Thanks for your message!"}`
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	if r := g.do("GET", "/healthz", ""); r.Status != 200 {
		t.Fatalf("healthz: %d", r.Status)
	}
}

func TestFreetextOutsideWindowIsRefused(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	resp := g.send(freetext(testUser))
	if resp["success"] != "7002001" {
		t.Fatalf("success = %v, want 7002001", resp["success"])
	}
	msg := resp["messages"].([]any)[0].(map[string]any)
	if msg["success"] != false || msg["error"] != "7002001" || msg["error_text"] != openwaba.TextNotInWindow || msg["id"] != nil {
		t.Fatalf("message entry = %v", msg)
	}
	if resp["total_price"] != 0.0 || resp["balance"] != 100.0 {
		t.Fatalf("charged: total_price %v balance %v", resp["total_price"], resp["balance"])
	}
	// After the user writes, the same request goes through.
	g.openWindow(testUser)
	if resp := g.send(freetext(testUser)); resp["success"] != "100" {
		t.Fatalf("inside the window: %v", resp)
	}
}

func TestSeveralRecipients(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	other := "4917612345679"
	resp := g.send(helloWorld[:0] + `{"from":"4915112345678","to":"4917612345678,` + other + `","template":"hello_world","type":"template","language":"en"}`)
	if resp["success"] != "100" || len(resp["messages"].([]any)) != 2 {
		t.Fatalf("templates to two recipients: %v", resp)
	}
	if resp["total_price"] != 0.147 {
		t.Fatalf("total_price = %v, want 2 × 0.0735", resp["total_price"])
	}
	// Freetext: the window is open for one of them only.
	g.openWindow(testUser)
	resp = g.send(freetext(testUser + "," + other))
	if resp["success"] != "101" {
		t.Fatalf("partial: success = %v, want 101", resp["success"])
	}
	msgs := resp["messages"].([]any)
	if msgs[0].(map[string]any)["success"] != true || msgs[1].(map[string]any)["error"] != "7002001" {
		t.Fatalf("entries = %v", msgs)
	}
}

func TestDebugSendsAndChargesNothing(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	resp := g.send(strings.Replace(helloWorld, `"language":"de"`, `"language":"de","debug":"1"`, 1))
	if resp["debug"] != "true" || resp["success"] != "100" || resp["total_price"] != 0.0735 || resp["balance"] != 100.0 {
		t.Fatalf("debug response = %v", resp)
	}
	if id := resp["messages"].([]any)[0].(map[string]any)["id"]; id != nil {
		t.Fatalf("debug message got an id %v", id)
	}
	ledger, err := g.store.Ledger(context.Background(), 1)
	if err != nil || len(ledger) != 1 {
		t.Fatalf("ledger = %v, %v; want only the starting credit", ledger, err)
	}
}

func TestInsufficientBalance(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ctx := context.Background()
	if _, err := g.store.Credit(ctx, 1, -99_950_000, "test"); err != nil { // leaves 0.05
		t.Fatal(err)
	}
	resp := g.send(helloWorld)
	msg := resp["messages"].([]any)[0].(map[string]any)
	if resp["success"] != "500" || msg["error"] != "500" || msg["id"] != nil || resp["balance"] != 0.05 {
		t.Fatalf("response = %v", resp)
	}
	acct, _ := g.store.Account(ctx, 1)
	if acct.Balance != 50_000 {
		t.Fatalf("balance changed to %v", acct.Balance)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ctx := context.Background()
	if _, err := g.store.CreateAPIKey(ctx, openwaba.APIKey{AccountID: 1, Hash: api.HashKey("analytics-only"), Scopes: []openwaba.Scope{openwaba.ScopeAnalytics}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		headers []string
		status  int
		body    string
	}{
		{"missing key", []string{"X-Api-Key", ""}, 401, "900"},
		{"wrong key", []string{"X-Api-Key", "nope"}, 401, "900"},
		{"key without waba scope", []string{"X-Api-Key", "analytics-only"}, 403, "902"},
		{"bearer", []string{"X-Api-Key", "", "Authorization", "Bearer " + testKey}, 200, ""},
		{"basic with bare key", []string{"X-Api-Key", "", "Authorization", "Basic " + testKey}, 200, ""},
		{"basic user:password", []string{"X-Api-Key", "", "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+testKey))}, 200, ""},
		{"SentWith header is ignored", []string{"SentWith", "php-api"}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do("POST", "/api/waba/messages", helloWorld, tc.headers...)
			if r.Status != tc.status || (tc.body != "" && string(r.Body) != tc.body) {
				t.Fatalf("got %d %q, want %d %q", r.Status, r.Body, tc.status, tc.body)
			}
		})
	}
}

func TestFormEncodedTemplate(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	form := "from=4915112345678&to=4917612345678&type=template&template=order_confirmation&language=de" +
		"&components[body][0]=Max+Mustermann&components[body][1]=ORD-12345" +
		"&components[buttons][0][type]=button&components[buttons][0][sub_type]=url" +
		"&components[buttons][0][parameters][0][type]=text&components[buttons][0][parameters][0][text]=ORD-12345&debug=0"
	r := g.do("POST", "/api/waba/messages", form, "Content-Type", "application/x-www-form-urlencoded")
	resp := r.JSON(t)
	if resp["success"] != "100" {
		t.Fatalf("form send: %s", r.Body)
	}
	text := resp["messages"].([]any)[0].(map[string]any)["text"].(string)
	if !strings.Contains(text, `"body":"Hallo Max Mustermann, vielen Dank für Ihre Bestellung ORD-12345.`) || !strings.Contains(text, "https://example.com/orders/ORD-12345") {
		t.Fatalf("rendered text = %s", text)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	tests := []struct {
		name, body, msg string
	}{
		{"not JSON", `{"from":`, "body: is not valid JSON (at byte 8)"},
		{"unregistered sender", `{"from":"4915100000000","to":"4917612345678","text":"hi"}`, openwaba.TextInvalidSender},
		{"unknown template", `{"from":"4915112345678","to":"4917612345678","type":"template","template":"nope","language":"de"}`, `template: "nope" is not a registered template of this account`},
		{"template language", `{"from":"4915112345678","to":"4917612345678","type":"template","template":"hello_world","language":"de_DE"}`, `language: template "hello_world" is not registered in language "de_DE"; it is in: de, en`},
		{"template parameters", `{"from":"4915112345678","to":"4917612345678","type":"template","template":"order_confirmation","language":"de","components":{"body":["Max"]}}`, "components.body: template order_confirmation (de) has 2 placeholders, got 1 values"},
		{"validation", `{"from":"4915112345678","to":"4917612345678","type":"image"}`, "url: is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do("POST", "/api/waba/messages", tc.body)
			m := r.JSON(t)
			if r.Status != 400 || m["error_code"] != 400.0 || m["error_message"] != tc.msg {
				t.Fatalf("got %d %s, want 400 with %q", r.Status, r.Body, tc.msg)
			}
		})
	}
	acct, _ := g.store.Account(context.Background(), 1)
	if acct.Balance != 100*openwaba.MicrosPerUnit {
		t.Fatalf("a bad request changed the balance to %v", acct.Balance)
	}
}

func TestDeleteScheduledMessage(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	later := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	resp := g.send(strings.Replace(helloWorld, `"language":"de"`, `"language":"de","delay":`+later, 1))
	id := firstID(t, resp)
	if resp["balance"] != 99.9265 {
		t.Fatalf("balance after send = %v", resp["balance"])
	}
	if m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t); m["status"] != "scheduled" {
		t.Fatalf("status = %v, want scheduled", m["status"])
	}
	if r := g.do("DELETE", "/api/waba/messages/"+id, ""); r.Status != 200 || string(r.Body) != "{\"success\":true}\n" {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t); m["status"] != "deleted" {
		t.Fatalf("status = %v, want deleted", m["status"])
	}
	if acct, _ := g.store.Account(context.Background(), 1); acct.Balance != 100*openwaba.MicrosPerUnit {
		t.Fatalf("not refunded: balance %v", acct.Balance)
	}
	// A sent message cannot be deleted.
	sent := firstID(t, g.send(helloWorld))
	g.waitStatus(sent, "read")
	r := g.do("DELETE", "/api/waba/messages/"+sent, "")
	if r.Status != 400 || r.JSON(t)["error_message"] != openwaba.TextAlreadySent {
		t.Fatalf("delete sent: %d %s", r.Status, r.Body)
	}
}

func TestUnknownAndForeignMessages(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	for _, path := range []string{"/api/waba/messages/999999", "/api/waba/messages/abc"} {
		for _, method := range []string{"GET", "DELETE"} {
			r := g.do(method, path, "")
			if r.Status != 404 || string(r.Body) != "{\"code\":404,\"message\":\"Page not found\",\"errors\":[]}\n" {
				t.Errorf("%s %s: %d %s", method, path, r.Status, r.Body)
			}
		}
	}
	// A message of another account is not found either.
	ctx := context.Background()
	other, err := g.store.CreateAccount(ctx, openwaba.Account{Name: "other", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.store.CreateAPIKey(ctx, openwaba.APIKey{AccountID: other.ID, Hash: api.HashKey("other-key"), Scopes: []openwaba.Scope{openwaba.ScopeWABA}}); err != nil {
		t.Fatal(err)
	}
	id := firstID(t, g.send(helloWorld))
	if r := g.do("GET", "/api/waba/messages/"+id, "", "X-Api-Key", "other-key"); r.Status != 404 {
		t.Errorf("foreign GET: %d", r.Status)
	}
	if r := g.do("DELETE", "/api/waba/messages/"+id, "", "X-Api-Key", "other-key"); r.Status != 404 {
		t.Errorf("foreign DELETE: %d", r.Status)
	}
	if r := g.do("POST", "/api/waba/messages", helloWorld, "X-Api-Key", "other-key"); r.Status != 400 || r.JSON(t)["error_message"] != openwaba.TextInvalidSender {
		t.Errorf("foreign sender: %d %s", r.Status, r.Body)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.openWindow(testUser)
	id := firstID(t, g.send(helloWorld))
	g.waitStatus(id, "read")
	tests := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"read by recipient", `{"from":"4915112345678","to":"4917612345678","event":"read"}`, 200, ""},
		{"typing", `{"from":"4915112345678","to":"4917612345678","event":"is_typing"}`, 200, ""},
		{"reaction to our message by id", `{"event":"reaction","msg_id":"` + id + `","emoji":"👍"}`, 200, ""},
		{"remove reaction", `{"event":"reaction","msg_id":"` + id + `","emoji":""}`, 200, ""},
		{"read without to or msg_id", `{"from":"4915112345678","event":"read"}`, 400, "to: at least one of to or msg_id is required"},
		{"read from unknown user", `{"from":"4915112345678","to":"4917600000000","event":"read"}`, 400, "to: 4917600000000 has not written to 4915112345678; there is no message to mark"},
		{"unregistered sender", `{"from":"4915100000000","to":"4917612345678","event":"read"}`, 400, openwaba.TextInvalidSender},
		{"unknown event", `{"from":"4915112345678","to":"4917612345678","event":"poke"}`, 400, `event: must be read, is_typing or reaction, got "poke"`},
		{"reaction without emoji", `{"event":"reaction","msg_id":"` + id + `"}`, 400, "emoji: is required (an empty string removes the reaction)"},
		{"reaction to unknown message", `{"event":"reaction","msg_id":"wamid.nothing","emoji":"👍"}`, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do("POST", "/api/waba/events", tc.body)
			if r.Status != tc.status {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.status)
			}
			m := r.JSON(t)
			switch tc.status {
			case 200:
				if m["success"] != true {
					t.Fatalf("body %s", r.Body)
				}
			case 400:
				if m["success"] != false || m["error_code"] != 400.0 || m["error_message"] != tc.msg {
					t.Fatalf("body %s, want %q", r.Body, tc.msg)
				}
			}
		})
	}
}

func TestMetaWebhookSignature(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.MetaAppSecret = "app-secret" })
	id := firstID(t, g.send(helloWorld))
	m := g.waitStatus(id, "read")
	wamid := m["wamid"].(string)
	// A forged "failed" report with a bad signature is refused and changes nothing.
	body := `{"object":"whatsapp_business_account","entry":[{"id":"200000000000001","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"4915112345678","phone_number_id":"100000000000001"},"statuses":[{"id":"` + wamid + `","status":"failed","timestamp":"` + strconv.FormatInt(time.Now().Unix(), 10) + `","recipient_id":"4917612345678","errors":[{"code":131026,"title":"Message undeliverable"}]}]}}]}]}`
	for _, sig := range []string{"", "sha256=" + strings.Repeat("0", 64), "sha256=" + sign("wrong-secret", body)} {
		r := g.do("POST", "/webhooks/meta", body, "X-Hub-Signature-256", sig)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("signature %q: status %d, want 401", sig, r.Status)
		}
	}
	// Correctly signed, the webhook is accepted; a late failed report
	// cannot move a read message backwards.
	if r := g.do("POST", "/webhooks/meta", body, "X-Hub-Signature-256", "sha256="+sign("app-secret", body)); r.Status != 200 {
		t.Fatalf("signed webhook: %d %s", r.Status, r.Body)
	}
	after := g.do("GET", "/api/waba/messages/"+id, "").JSON(t)
	if after["status"] != "read" {
		t.Fatalf("status = %v, want read", after["status"])
	}
	// Meta's verification handshake.
	g2 := startTestGateway(t, func(c *config) { c.MetaVerifyToken = "verify-me" })
	if r := g2.do("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", ""); r.Status != 200 || string(r.Body) != "1158201444" {
		t.Fatalf("handshake: %d %q", r.Status, r.Body)
	}
	if r := g2.do("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", ""); r.Status != 403 {
		t.Fatalf("bad handshake: %d", r.Status)
	}
}

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestStatusLifecycle(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	id := firstID(t, g.send(strings.Replace(helloWorld, `"language":"de"`, `"language":"de","foreign_id":"order-1","label":"campaign.x"`, 1)))
	m := g.waitStatus(id, "read")
	var seen []string
	for _, s := range m["statuses"].([]any) {
		seen = append(seen, s.(map[string]any)["status"].(string))
	}
	if got := strings.Join(seen, ","); got != "queued,sent,delivered,read" {
		t.Fatalf("journal = %s", got)
	}
	if m["foreign_id"] != "order-1" || m["label"] != "campaign.x" || !strings.HasPrefix(fmt.Sprint(m["wamid"]), "wamid.") {
		t.Fatalf("message = %v", m)
	}
}
