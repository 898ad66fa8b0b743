package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every type of message a user can send goes sandbox → signed webhook →
// /webhooks/meta → store, keeps its type, text and Meta's payload, and
// opens the 24-hour window for (sender, user).
func TestInboundEveryType(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ours := firstID(t, g.send(helloWorld)) // what buttons, replies and reactions answer
	g.waitStatus(ours, "read")

	tests := []struct {
		body     string // fields besides from and to
		wantType string
		wantText string
	}{
		{`"text":"Hallo, ich brauche Hilfe"`, "text", "Hallo, ich brauche Hilfe"},
		{`"type":"image","text":"Mein Paket"`, "image", "Mein Paket"},
		{`"type":"video","text":"Unboxing"`, "video", "Unboxing"},
		{`"type":"audio"`, "audio", ""},
		{`"type":"document","text":"Rechnung","filename":"rechnung.pdf"`, "document", "Rechnung"},
		{`"type":"sticker"`, "sticker", ""},
		{`"type":"location","latitude":52.52,"longitude":13.405,"name":"Fernsehturm","address":"Panoramastr. 1A"`, "location", ""},
		{`"type":"contacts","name":"Anna Schmidt","phone":"+49 170 1234567"`, "contacts", ""},
		{`"type":"button","text":"Ja","id":"YES","msg_id":"` + ours + `"`, "button", "Ja"},
		{`"type":"button_reply","text":"Dienstag","id":"tue","msg_id":"` + ours + `"`, "interactive", "Dienstag"},
		{`"type":"list_reply","text":"Express","id":"exp","description":"1 Tag","msg_id":"` + ours + `"`, "interactive", "Express"},
		{`"type":"reaction","emoji":"👍","msg_id":"` + ours + `"`, "reaction", "👍"},
		{`"type":"system","new_wa_id":"4917699999999"`, "system", ""},
		{`"type":"unsupported"`, "unsupported", ""},
	}
	ctx := context.Background()
	for i, tt := range tests {
		user := fmt.Sprintf("49176555000%02d", i)
		typ := tt.wantType
		t.Run(strings.SplitN(tt.body, ",", 2)[0], func(t *testing.T) {
			r := g.do("POST", "/api/sandbox/inbound", `{"from":"`+user+`","to":"`+testSender+`",`+tt.body+`}`)
			if r.Status != 200 {
				t.Fatalf("sandbox inbound: %d %s", r.Status, r.Body)
			}
			wamid, _ := r.JSON(t)["msg_id"].(string)
			sender, err := g.store.Sender(ctx, defaultAccount(t, g), testSender)
			if err != nil {
				t.Fatal(err)
			}
			in, err := g.store.InboundByWAMID(ctx, sender.AccountID, wamid)
			if err != nil {
				t.Fatalf("inbound %s not stored: %v", wamid, err)
			}
			if in.Type != typ || in.From != user || in.Sender != testSender || in.SentAt.IsZero() {
				t.Errorf("stored %+v, want type %s from %s", in, typ, user)
			}
			if tt.wantText != "" && !strings.Contains(in.Text, tt.wantText) {
				t.Errorf("text %q, want %q", in.Text, tt.wantText)
			}
			var payload map[string]any
			if err := json.Unmarshal(in.Payload, &payload); err != nil || payload["id"] != wamid || payload["type"] != typ {
				t.Errorf("payload %s is not Meta's message object", in.Payload)
			}
			until, err := g.store.WindowOpenUntil(ctx, testSender, user)
			if err != nil || !until.After(time.Now().Add(23*time.Hour)) {
				t.Errorf("window open until %v (%v), want about 24 h from now", until, err)
			}
		})
	}
	// Answers need the message they answer.
	if r := g.do("POST", "/api/sandbox/inbound", `{"from":"`+testUser+`","to":"`+testSender+`","type":"reaction","emoji":"👍"}`); r.Status != 400 || !strings.Contains(string(r.Body), "msg_id") {
		t.Errorf("reaction without msg_id: %d %s, want 400 naming msg_id", r.Status, r.Body)
	}
	if r := g.do("POST", "/api/sandbox/inbound", `{"from":"`+testUser+`","to":"`+testSender+`","type":"hologram"}`); r.Status != 400 {
		t.Errorf("unknown type: %d %s, want 400", r.Status, r.Body)
	}
}

// defaultAccount is the id of the account bootstrap created.
func defaultAccount(t *testing.T, g *testGateway) int64 {
	t.Helper()
	senders, err := g.store.Senders(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range senders {
		if s.Number == testSender {
			return s.AccountID
		}
	}
	t.Fatalf("no sender %s", testSender)
	return 0
}

// Meta redelivers a webhook it thinks we missed, byte for byte. The
// second delivery is acknowledged and changes nothing: one inbound row,
// one journal entry per status.
func TestWebhookRedeliveryIsIdempotent(t *testing.T) {
	t.Parallel()
	// No status reports from the sandbox: this test sends its own.
	g := startTestGateway(t, func(c *config) { c.MetaAppSecret = "app-secret"; c.SandboxStatusDelay = time.Hour })
	id := firstID(t, g.send(helloWorld))
	wamid := g.waitWAMID(id)

	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := `{"object":"whatsapp_business_account","entry":[{"id":"200000000000001","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"4915112345678","phone_number_id":"100000000000001"},` +
		`"contacts":[{"profile":{"name":"Anna"},"wa_id":"4917612345678"}],` +
		`"messages":[{"from":"4917612345678","id":"wamid.REDELIVERED","timestamp":"` + ts + `","type":"text","text":{"body":"Hallo"}}],` +
		`"statuses":[{"id":"` + wamid + `","status":"sent","timestamp":"` + ts + `","recipient_id":"4917612345678"}]}}]}]}`
	for range 2 {
		if r := g.do("POST", "/webhooks/meta", body, "X-Hub-Signature-256", "sha256="+sign("app-secret", body)); r.Status != 200 {
			t.Fatalf("webhook: %d %s", r.Status, r.Body)
		}
	}

	m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t)
	var journal []string
	for _, s := range m["statuses"].([]any) {
		journal = append(journal, s.(map[string]any)["status"].(string))
	}
	if got := strings.Join(journal, ","); got != "queued,sent" || m["status"] != "sent" {
		t.Errorf("status %v, journal %s; want sent, queued,sent", m["status"], got)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(g.cfg.DataDir, "openwaba.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM inbound_messages WHERE wamid = 'wamid.REDELIVERED'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d inbound rows for the redelivered message, want 1", rows)
	}
}

// waitWAMID polls the message until the dispatcher handed it to WhatsApp.
func (g *testGateway) waitWAMID(id string) string {
	g.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := g.do("GET", "/api/waba/messages/"+id, "").JSON(g.t)
		if w, _ := m["wamid"].(string); w != "" {
			return w
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("message %s never reached WhatsApp: %v", id, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
