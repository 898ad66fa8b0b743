package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/sandbox"
)

// Users who write by username are known only by their business-scoped
// user ID (BSUID): the sandbox sends their webhooks without a number.
const (
	anna = "DE.1350000000000000001"
	bob  = "DE.1350000000000000002"
)

// userWrites has the sandbox's user (a number or a BSUID) write text.
func (g *testGateway) userWrites(t *testing.T, from, username, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"from": from, "to": testSender, "text": text, "username": username})
	r := g.do("POST", "/api/sandbox/inbound", string(body))
	if r.Status != 200 {
		t.Fatalf("sandbox inbound from %s: %d %s", from, r.Status, r.Body)
	}
	wamid, _ := r.JSON(t)["msg_id"].(string)
	return wamid
}

// sendText posts a text and returns the first message's result.
func (g *testGateway) sendText(t *testing.T, to, text string) map[string]any {
	t.Helper()
	resp := g.send(`{"from":"` + testSender + `","to":"` + to + `","text":"` + text + `"}`)
	return resp["messages"].([]any)[0].(map[string]any)
}

// TestUsernameUserEndToEnd: a user who writes by username is stored,
// reported and answered by their BSUID; the answer goes to Meta as
// recipient, its status reports name the user; each username user has a
// window of their own; authentication templates need a number.
func TestUsernameUserEndToEnd(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"all","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}

	wamid := g.userWrites(t, anna, "anna.b", "Hallo, ich bin Anna")
	acct := defaultAccount(t, g)
	in, err := g.store.InboundByWAMID(context.Background(), acct, wamid)
	if err != nil || in.From != anna || in.User.UserID != anna || in.User.WaID != "" || in.User.Username != "anna.b" {
		t.Fatalf("stored %+v (%v), want it from %s (anna.b) without a number", in, err, anna)
	}

	// Bob has not written: his window is closed, Anna's open.
	if res := g.sendText(t, bob, "Hi Bob"); res["success"] != false || res["error"] != "7002001" {
		t.Errorf("text to %s, who never wrote: %v, want 7002001", bob, res)
	}
	res := g.sendText(t, anna, "Hi Anna, how can we help?")
	if res["success"] != true || res["recipient"] != anna {
		t.Fatalf("answer to %s: %v", anna, res)
	}
	id := res["id"].(string)
	m := g.waitStatus(id, "read")
	if m.Recipient != anna || m.UserID != anna || m.Username != "anna.b" {
		t.Errorf("GET message: recipient %q, user_id %q, username %q; want %s, anna.b", m.Recipient, m.UserID, m.Username, anna)
	}
	var body map[string]any
	for _, r := range g.sandbox.Sent() {
		if r.WAMID == m.WAMID {
			_ = json.Unmarshal(r.Body, &body)
		}
	}
	if body["recipient"] != anna || body["to"] != nil {
		t.Errorf("sent to Meta as %v, want recipient %s and no to", body, anna)
	}

	// Bob writes too: now he can be answered, Anna still can.
	g.userWrites(t, bob, "", "Und ich bin Bob")
	for _, u := range []string{anna, bob} {
		if res := g.sendText(t, u, "Danke"); res["success"] != true {
			t.Errorf("text to %s after they wrote: %v", u, res)
		}
	}

	// The customer's webhooks name the user by BSUID and username.
	recv.wait(t, 6) // wa_mo, dlr ×2 and wa_status ×3 of the answer at least
	var gotMO, gotDelivered bool
	recv.mu.Lock()
	for _, env := range recv.got {
		data := env["data"].(map[string]any)
		switch {
		case env["webhook_event"] == "wa_mo" && data["wamid"] == wamid:
			gotMO = data["sender"] == anna && data["user_id"] == anna && data["username"] == "anna.b"
			if !gotMO {
				t.Errorf("wa_mo %v, want sender and user_id %s, username anna.b", data, anna)
			}
		case env["webhook_event"] == "dlr" && data["msg_id"] == id && data["status"] == "DELIVERED":
			gotDelivered = data["recipient"] == anna && data["user_id"] == anna && data["username"] == "anna.b"
			if !gotDelivered {
				t.Errorf("dlr %v, want recipient and user_id %s, username anna.b", data, anna)
			}
		}
	}
	recv.mu.Unlock()
	if !gotMO || !gotDelivered {
		t.Errorf("webhooks %v: no wa_mo or DELIVERED dlr naming %s", recv.events(), anna)
	}

	// Read receipts name the user by BSUID as well.
	if r := g.do("POST", "/api/waba/events", `{"event":"read","from":"`+testSender+`","to":"`+anna+`"}`); r.Status != 200 {
		t.Errorf("read event to a BSUID: %d %s", r.Status, r.Body)
	}
}

// Authentication templates go to phone numbers only: to a BSUID whose
// number openwaba linked they go to that number, to one without a number
// they are refused at accept, naming the rule.
func TestAuthenticationTemplateNeedsNumber(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.userWrites(t, anna, "anna.b", "Hallo")
	g.userWrites(t, testUser, "", "Hallo") // a number: the sandbox adds its BSUID
	linked := sandbox.BSUID(sandboxWABAID, testUser)
	u, err := g.store.User(context.Background(), defaultAccount(t, g), testSender, linked)
	if err != nil || u.WaID != testUser {
		t.Fatalf("User(%s) = %+v, %v; want linked to %s", linked, u, err, testUser)
	}

	otp := func(to string) response {
		return g.do("POST", "/api/waba/messages", `{"from":"`+testSender+`","to":"`+to+`","type":"template","template":"verification_code","language":"en","components":{"body":["482913"]}}`)
	}
	r := otp(anna)
	if r.Status != 400 || !strings.Contains(string(r.Body), "to: authentication templates need the user's phone number") {
		t.Errorf("authentication template to %s: %d %s, want 400 naming to", anna, r.Status, r.Body)
	}
	r = otp(linked)
	if r.Status != 200 {
		t.Fatalf("authentication template to %s: %d %s", linked, r.Status, r.Body)
	}
	res := r.JSON(t)["messages"].([]any)[0].(map[string]any)
	if res["success"] != true || res["recipient"] != testUser {
		t.Errorf("authentication template to %s: %v, want it sent to %s", linked, res, testUser)
	}
	g.waitWAMID(res["id"].(string)) // WhatsApp took it
}

// A user_id_update webhook moves the user to their new BSUID: the window
// they opened stays open under it.
func TestUserIDUpdateApplied(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.MetaAppSecret = "app-secret" })
	g.userWrites(t, anna, "anna.b", "Hallo")
	const newID = "DE.1350000000000000099"
	if res := g.sendText(t, newID, "Hi"); res["error"] != "7002001" {
		t.Fatalf("before the update %s has a window: %v", newID, res)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := `{"object":"whatsapp_business_account","entry":[{"id":"` + sandboxWABAID + `","changes":[{"field":"user_id_update","value":{"messaging_product":"whatsapp",` +
		`"metadata":{"display_phone_number":"` + sandboxNumber + `","phone_number_id":"` + sandboxPhoneNumberID + `"},` +
		`"user_id_update":[{"detail":"User's business-scoped user ID changed","user_id":{"previous":"` + anna + `","current":"` + newID + `"},"timestamp":"` + ts + `"}]}}]}]}`
	if r := g.do("POST", "/webhooks/meta", body, "X-Hub-Signature-256", "sha256="+sign("app-secret", body)); r.Status != 200 {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	u, err := g.store.User(context.Background(), defaultAccount(t, g), testSender, newID)
	if err != nil || u.UserID != newID || u.Username != "anna.b" {
		t.Fatalf("User(%s) = %+v, %v; want Anna", newID, u, err)
	}
	if res := g.sendText(t, newID, "Hi"); res["success"] != true {
		t.Errorf("text to the new BSUID: %v, want it in Anna's window", res)
	}
}
