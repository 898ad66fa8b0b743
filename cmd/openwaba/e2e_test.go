package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/client"
	"github.com/openwaba/openwaba/internal/api"
)

const helloWorld = `{"from":"4915112345678","to":"4917612345678","type":"template","template":"hello_world","language":"de"}`

// helloWorldDE is helloWorld for the client.
var helloWorldDE = client.Template{Name: "hello_world", Language: "de"}

// freetext is a text message to one or more recipients.
func freetext(to ...string) client.SendRequest {
	return client.SendRequest{From: testSender, To: to, Message: client.Text{Body: "Thanks for your message!"}}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	if r := g.do("GET", "/healthz", ""); r.Status != 200 {
		t.Fatalf("healthz: %d", r.Status)
	}
	// The API description is public.
	r := g.do("GET", "/openapi.json", "", "X-Api-Key", "")
	if r.Status != 200 || !bytes.Equal(r.Body, api.OpenAPIDocument()) {
		t.Fatalf("openapi.json: %d %.100s", r.Status, r.Body)
	}
}

func TestFreetextOutsideWindowIsRefused(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	resp := g.sendMsg(freetext(testUser))
	if resp.Success != "7002001" {
		t.Fatalf("success = %v, want 7002001", resp.Success)
	}
	msg := resp.Messages[0]
	if msg.Success || msg.Error != "7002001" || msg.ErrorText != openwaba.TextNotInWindow || msg.ID != "" {
		t.Fatalf("message entry = %+v", msg)
	}
	if !errors.Is(msg.Err(), client.ErrNotInConversation) || !errors.Is(resp.Err(), client.ErrNotInConversation) {
		t.Fatalf("entry error = %v", msg.Err())
	}
	if resp.TotalPrice != 0.0 || resp.Balance != 100.0 {
		t.Fatalf("charged: total_price %v balance %v", resp.TotalPrice, resp.Balance)
	}
	// After the user writes, the same request goes through.
	g.openWindow(testUser)
	if resp := g.sendMsg(freetext(testUser)); resp.Success != "100" || resp.Err() != nil {
		t.Fatalf("inside the window: %+v", resp)
	}
}

func TestSeveralRecipients(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	other := "4917612345679"
	resp := g.sendMsg(client.SendRequest{To: []string{testUser, other}, Message: client.Template{Name: "hello_world", Language: "en"}})
	if resp.Success != "100" || len(resp.Messages) != 2 || len(resp.IDs()) != 2 {
		t.Fatalf("templates to two recipients: %+v", resp)
	}
	if resp.TotalPrice != 0.147 {
		t.Fatalf("total_price = %v, want 2 × 0.0735", resp.TotalPrice)
	}
	// Freetext: the window is open for one of them only.
	g.openWindow(testUser)
	resp = g.sendMsg(freetext(testUser, other))
	if resp.Success != "101" {
		t.Fatalf("partial: success = %v, want 101", resp.Success)
	}
	msgs := resp.Messages
	if !msgs[0].Success || msgs[1].Error != "7002001" || msgs[1].Recipient != other {
		t.Fatalf("entries = %+v", msgs)
	}
}

func TestDebugSendsAndChargesNothing(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	// seven's clients send "1"; the Go client sends true.
	resp := g.send(strings.Replace(helloWorld, `"language":"de"`, `"language":"de","debug":"1"`, 1))
	if resp["debug"] != "true" || resp["success"] != "100" || resp["total_price"] != 0.0735 || resp["balance"] != 100.0 {
		t.Fatalf("debug response = %v", resp)
	}
	if id := resp["messages"].([]any)[0].(map[string]any)["id"]; id != nil {
		t.Fatalf("debug message got an id %v", id)
	}
	typed := g.sendMsg(client.SendRequest{Message: helloWorldDE, Debug: true})
	if !bool(typed.Debug) || typed.Success != "100" || typed.TotalPrice != 0.0735 || typed.Balance != 100.0 || typed.Messages[0].ID != "" || len(typed.IDs()) != 0 {
		t.Fatalf("debug response = %+v", typed)
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
	resp := g.sendMsg(client.SendRequest{Message: helloWorldDE})
	msg := resp.Messages[0]
	if resp.Success != "500" || msg.Error != "500" || msg.ID != "" || resp.Balance != 0.05 || !errors.Is(msg.Err(), client.ErrInsufficientBalance) {
		t.Fatalf("response = %+v", resp)
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
	// The client's typed errors.
	for _, tc := range []struct {
		key    string
		want   error
		status int
	}{{"nope", client.ErrUnauthorized, 401}, {"analytics-only", client.ErrForbidden, 403}} {
		_, err := newTestClient(t, g.BaseURL, tc.key).Send(ctx, client.SendRequest{From: testSender, To: []string{testUser}, Message: helloWorldDE})
		if !errors.Is(err, tc.want) || apiError(t, err).Status != tc.status {
			t.Errorf("key %q: err = %v, want %v", tc.key, err, tc.want)
		}
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
	if r := g.do("POST", "/api/waba/messages", `{"from":`); r.Status != 400 || r.JSON(t)["error_code"] != 400.0 || r.JSON(t)["error_message"] != "body: is not valid JSON (at byte 8)" {
		t.Fatalf("not JSON: got %d %s", r.Status, r.Body)
	}
	tests := []struct {
		name string
		req  client.SendRequest
		msg  string
	}{
		{"unregistered sender", client.SendRequest{From: "4915100000000", Message: client.Text{Body: "hi"}}, openwaba.TextInvalidSender},
		{"unknown template", client.SendRequest{Message: client.Template{Name: "nope", Language: "de"}}, `template: "nope" is not a registered template of this account`},
		{"template language", client.SendRequest{Message: client.Template{Name: "hello_world", Language: "de_DE"}}, `language: template "hello_world" is not registered in language "de_DE"; it is in: de, en`},
		{"template parameters", client.SendRequest{Message: client.Template{Name: "order_confirmation", Language: "de", Components: &client.Components{Body: client.Values("Max")}}}, "components.body: template order_confirmation (de) has 2 placeholders, got 1 values"},
		{"validation", client.SendRequest{Message: client.Image{}}, "url: is required"},
	}
	c := g.client()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.From == "" {
				tc.req.From = testSender
			}
			tc.req.To = []string{testUser}
			_, err := c.Send(context.Background(), tc.req)
			e := apiError(t, err)
			if e.Status != 400 || e.Code != 400 || e.Message != tc.msg || !errors.Is(err, client.ErrBadRequest) {
				t.Fatalf("got %+v, want 400 with %q", e, tc.msg)
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
	ctx := context.Background()
	c := g.client()
	resp := g.sendMsg(client.SendRequest{Message: helloWorldDE, Delay: time.Now().Add(time.Hour)})
	id := sentID(t, resp)
	if resp.Balance != 99.9265 {
		t.Fatalf("balance after send = %v", resp.Balance)
	}
	if m, err := c.Status(ctx, id); err != nil || m.Status != "scheduled" {
		t.Fatalf("status = %+v, %v; want scheduled", m, err)
	}
	// The raw answer is exactly seven's.
	if r := g.do("DELETE", "/api/waba/messages/"+id, ""); r.Status != 200 || string(r.Body) != "{\"success\":true}\n" {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if m, err := c.Status(ctx, id); err != nil || m.Status != "deleted" {
		t.Fatalf("status = %+v, %v; want deleted", m, err)
	}
	if acct, _ := g.store.Account(ctx, 1); acct.Balance != 100*openwaba.MicrosPerUnit {
		t.Fatalf("not refunded: balance %v", acct.Balance)
	}
	// Deleting it again through the client: it has ended.
	if err := c.Delete(ctx, id); apiError(t, err).Status != 400 || apiError(t, err).Message != openwaba.TextAlreadySent {
		t.Fatalf("delete deleted: %v", err)
	}
	// A scheduled message deleted through the client.
	id2 := sentID(t, g.sendMsg(client.SendRequest{Message: helloWorldDE, Delay: time.Now().Add(time.Hour)}))
	if err := c.Delete(ctx, id2); err != nil {
		t.Fatalf("client delete: %v", err)
	}
	// A sent message cannot be deleted.
	sent := sentID(t, g.sendMsg(client.SendRequest{Message: helloWorldDE}))
	g.waitStatus(sent, "read")
	err := c.Delete(ctx, sent)
	if e := apiError(t, err); e.Status != 400 || e.Message != openwaba.TextAlreadySent {
		t.Fatalf("delete sent: %v", err)
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
	c := g.client()
	for _, id := range []string{"999999", "abc"} {
		if _, err := c.Status(context.Background(), id); !errors.Is(err, client.ErrNotFound) || apiError(t, err).Message != "Page not found" {
			t.Errorf("client GET %s: %v", id, err)
		}
		if err := c.Delete(context.Background(), id); !errors.Is(err, client.ErrNotFound) {
			t.Errorf("client DELETE %s: %v", id, err)
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
	id := sentID(t, g.sendMsg(client.SendRequest{Message: helloWorldDE}))
	foreign := newTestClient(t, g.BaseURL, "other-key")
	if _, err := foreign.Status(ctx, id); apiError(t, err).Status != 404 {
		t.Errorf("foreign GET: %v", err)
	}
	if err := foreign.Delete(ctx, id); apiError(t, err).Status != 404 {
		t.Errorf("foreign DELETE: %v", err)
	}
	if _, err := foreign.Send(ctx, client.SendRequest{From: testSender, To: []string{testUser}, Message: helloWorldDE}); apiError(t, err).Status != 400 || apiError(t, err).Message != openwaba.TextInvalidSender {
		t.Errorf("foreign sender: %v", err)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	inbound, err := g.client().SandboxInbound(context.Background(), testUser, testSender, "Hello!")
	if err != nil {
		t.Fatal(err)
	}
	id := sentID(t, g.sendMsg(client.SendRequest{Message: helloWorldDE}))
	g.waitStatus(id, "read")
	c := g.client()
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error // through the client
		body string       // or raw, for what the client cannot send
		// status and msg of the answer
		status int
		msg    string
	}{
		{name: "read by recipient", call: func() error { return c.Read(ctx, client.Conversation{From: testSender, To: testUser}) }, status: 200},
		{name: "read by msg_id", call: func() error { return c.Read(ctx, client.Conversation{From: testSender, MsgID: inbound}) }, status: 200},
		{name: "typing", call: func() error { return c.Typing(ctx, client.Conversation{From: testSender, To: testUser}) }, status: 200},
		{name: "reaction to our message by id", call: func() error { return c.React(ctx, id, "👍") }, status: 200},
		{name: "reaction to the user's message", call: func() error { return c.React(ctx, inbound, "❤️") }, status: 200},
		{name: "remove reaction", call: func() error { return c.React(ctx, id, "") }, status: 200},
		{name: "read without to or msg_id", call: func() error { return c.Read(ctx, client.Conversation{From: testSender}) }, status: 400, msg: "to: at least one of to or msg_id is required"},
		{name: "read from unknown user", call: func() error { return c.Read(ctx, client.Conversation{From: testSender, To: "4917600000000"}) }, status: 400, msg: "to: 4917600000000 has not written to 4915112345678; there is no message to mark"},
		{name: "unregistered sender", call: func() error { return c.Read(ctx, client.Conversation{From: "4915100000000", To: testUser}) }, status: 400, msg: openwaba.TextInvalidSender},
		{name: "unknown event", body: `{"from":"4915112345678","to":"4917612345678","event":"poke"}`, status: 400, msg: `event: must be read, is_typing or reaction, got "poke"`},
		{name: "reaction without emoji", body: `{"event":"reaction","msg_id":"` + id + `"}`, status: 400, msg: "emoji: is required (an empty string removes the reaction)"},
		{name: "reaction to unknown message", call: func() error { return c.React(ctx, "wamid.nothing", "👍") }, status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.call != nil {
				err := tc.call()
				if tc.status == 200 {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				e := apiError(t, err)
				if e.Status != tc.status || (tc.status == 400 && (e.Code != 400 || e.Message != tc.msg)) {
					t.Fatalf("got %+v, want %d %q", e, tc.status, tc.msg)
				}
				return
			}
			r := g.do("POST", "/api/waba/events", tc.body)
			if r.Status != tc.status {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.status)
			}
			m := r.JSON(t)
			if m["success"] != false || m["error_code"] != 400.0 || m["error_message"] != tc.msg {
				t.Fatalf("body %s, want %q", r.Body, tc.msg)
			}
		})
	}
}

func TestMetaWebhookSignature(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.MetaAppSecret = "app-secret" })
	id := sentID(t, g.sendMsg(client.SendRequest{Message: helloWorldDE}))
	m := g.waitStatus(id, "read")
	wamid := m.WAMID
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
	after, err := g.client().Status(context.Background(), id)
	if err != nil || after.Status != "read" {
		t.Fatalf("status = %+v, %v; want read", after, err)
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
	id := sentID(t, g.sendMsg(client.SendRequest{Message: helloWorldDE, ForeignID: "order-1", Label: "campaign.x"}))
	m := g.waitStatus(id, "read")
	var seen []string
	for _, s := range m.Statuses {
		seen = append(seen, s.Status)
		if s.Time.IsZero() {
			t.Errorf("status %s without time", s.Status)
		}
	}
	if got := strings.Join(seen, ","); got != "queued,sent,delivered,read" {
		t.Fatalf("journal = %s", got)
	}
	if m.ForeignID != "order-1" || m.Label != "campaign.x" || !strings.HasPrefix(m.WAMID, "wamid.") || m.ID != id || m.Type != "template" || m.Price != 0.0735 {
		t.Fatalf("message = %+v", m)
	}
}
