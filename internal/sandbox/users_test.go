package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

// webhookValue decodes the one change value of a webhook body.
func webhookValue(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var env struct {
		Entry []struct {
			Changes []struct {
				Value map[string]any `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Entry) != 1 || len(env.Entry[0].Changes) != 1 {
		t.Fatalf("webhook %s: %v", raw, err)
	}
	return env.Entry[0].Changes[0].Value
}

func first(t *testing.T, v map[string]any, key string) map[string]any {
	t.Helper()
	xs, _ := v[key].([]any)
	if len(xs) != 1 {
		t.Fatalf("%s = %v, want one", key, v[key])
	}
	return xs[0].(map[string]any)
}

// A user with a username writes without their number: contacts[].user_id,
// profile.username and messages[].from_user_id name them, wa_id and from
// are absent. A user writing from a number is named by both.
func TestUsernameUserInbound(t *testing.T) {
	t.Parallel()
	const bsuid = "DE.1350000000000000001"
	tests := []struct {
		name, from, username string
		wantWaID, wantUserID string
	}{
		{"username user", bsuid, "anna.b", "", bsuid},
		{"number", testUser, "", testUser, BSUID(testWABA, testUser)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			if _, err := e.sb.InboundMessage(context.Background(), tt.from, testDisplay, UserMessage{Text: "Hallo", Username: tt.username}); err != nil {
				t.Fatal(err)
			}
			v := webhookValue(t, e.rcv.next(t).Raw)
			c, m := first(t, v, "contacts"), first(t, v, "messages")
			profile, _ := c["profile"].(map[string]any)
			if c["wa_id"] != nilIfEmpty(tt.wantWaID) || c["user_id"] != tt.wantUserID || m["from"] != nilIfEmpty(tt.wantWaID) || m["from_user_id"] != tt.wantUserID {
				t.Errorf("contact %v, message from %v / %v; want wa_id %q and user_id %q", c, m["from"], m["from_user_id"], tt.wantWaID, tt.wantUserID)
			}
			if profile["username"] != nilIfEmpty(tt.username) || profile["name"] != InboundProfileName {
				t.Errorf("profile %v, want username %q", profile, tt.username)
			}
		})
	}
	if BSUID(testWABA, testUser) != BSUID(testWABA, testUser) || BSUID(testWABA, testUser) == BSUID("other-waba", testUser) || !openwaba.IsBSUID(BSUID(testWABA, testUser)) {
		t.Errorf("BSUID %q is not stable per WABA and number", BSUID(testWABA, testUser))
	}
	if !strings.HasPrefix(BSUID(testWABA, testUser), "DE.") {
		t.Errorf("BSUID %q does not start with the number's country", BSUID(testWABA, testUser))
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// A send to a BSUID goes in recipient. Its statuses name the user by
// recipient_user_id and contacts (username on delivered and read), never
// by a number the business may not see; each username user has a window
// of their own.
func TestSendToBSUID(t *testing.T) {
	t.Parallel()
	const anna, bob = "DE.1350000000000000001", "DE.1350000000000000002"
	e := newEnv(t, nil)
	if _, err := e.sb.InboundMessage(context.Background(), anna, testDisplay, UserMessage{Text: "Hallo", Username: "anna.b"}); err != nil {
		t.Fatal(err)
	}
	e.rcv.next(t)

	r := e.send(t, `{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"`+anna+`","type":"text","text":{"body":"Hi Anna"}}`)
	if r.Status != http.StatusOK {
		t.Fatalf("send to a BSUID: %d %v", r.Status, r.Body)
	}
	if c := r.Body["contacts"].([]any)[0].(map[string]any); c["input"] != anna || c["user_id"] != anna || c["wa_id"] != nil {
		t.Errorf("contacts = %v, want input and user_id %s, no wa_id", c, anna)
	}
	for _, want := range []string{"sent", "delivered", "read"} {
		ev := e.rcv.next(t)
		if ev.Status != want {
			t.Fatalf("status %s, want %s", ev.Status, want)
		}
		v := webhookValue(t, ev.Raw)
		st, c := first(t, v, "statuses"), first(t, v, "contacts")
		if st["recipient_user_id"] != anna || st["recipient_id"] != nil || c["user_id"] != anna || c["wa_id"] != nil {
			t.Errorf("%s: status %v, contact %v; want the BSUID only", want, st, c)
		}
		profile, _ := c["profile"].(map[string]any)
		if wantName := want != "sent"; (profile["username"] == "anna.b") != wantName {
			t.Errorf("%s: contact profile %v", want, profile)
		}
	}

	// Bob never wrote: his window is closed although Anna's is open.
	r = e.send(t, `{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"`+bob+`","type":"text","text":{"body":"Hi Bob"}}`)
	if r.Status != http.StatusOK {
		t.Fatalf("send: %d %v", r.Status, r.Body)
	}
	if ev := e.rcv.next(t); ev.Status != "failed" || ev.ErrorCode != 131047 {
		t.Errorf("send to another username user: %s %d, want failed 131047", ev.Status, ev.ErrorCode)
	} else if st := first(t, webhookValue(t, ev.Raw), "statuses"); st["recipient_user_id"] != bob {
		t.Errorf("failed status of a send to a BSUID: %v, want recipient_user_id", st)
	}
}

func TestBSUIDRecipientRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct {
		name, body string
		code       int
		details    string
	}{
		{"authentication template", `{"messaging_product":"whatsapp","recipient":"DE.1350000000000000001","type":"template","template":{"name":"verification_code","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"123456"}]}]}}`, 131062, "phone number"},
		{"not a BSUID", `{"messaging_product":"whatsapp","recipient":"4917612345678","type":"text","text":{"body":"x"}}`, 100, "recipient"},
		{"neither to nor recipient", `{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}`, 100, "to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(t, tt.body)
			if r.Status != http.StatusBadRequest || r.Code != tt.code || !strings.Contains(r.Details, tt.details) {
				t.Errorf("%d code %d %q, want 400 code %d naming %q", r.Status, r.Code, r.Details, tt.code, tt.details)
			}
		})
	}
	// The same template to a number is fine.
	r := e.send(t, `{"messaging_product":"whatsapp","to":"`+testUser+`","type":"template","template":{"name":"verification_code","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"123456"}]}]}}`)
	if r.Status != http.StatusOK {
		t.Errorf("authentication template to a number: %d %v", r.Status, r.Body)
	}
}
