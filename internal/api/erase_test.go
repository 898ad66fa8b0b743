package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

// TestEraseAPI: DELETE /api/waba/users/{user} takes the user out of every
// listing, by any of their ids, and leaves the other user.
func TestEraseAPI(t *testing.T) {
	t.Parallel()
	f, do := historyFixture(t)
	r := do("DELETE", "/api/waba/users/DE.1350000000000000001")
	var e map[string]any
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || r.status != 200 {
		t.Fatalf("erase: %d %s", r.status, r.body)
	}
	if e["messages"] != 2.0 || e["inbound"] != 2.0 || e["identities"] != 1.0 {
		t.Errorf("erasure %v, want 2 messages, 2 inbound, 1 identity", e)
	}
	for _, path := range []string{
		"/api/waba/inbound?user=4917612345678",
		"/api/waba/messages?recipient=4917612345678",
		"/api/waba/messages?recipient=DE.1350000000000000001",
	} {
		if r := do("GET", path); r.status != 200 || !strings.Contains(r.body, `"messages":[]`) {
			t.Errorf("%s after the erasure: %d %s", path, r.status, r.body)
		}
	}
	if r := do("GET", "/api/waba/inbound"); !strings.Contains(r.body, "4917699999999") || strings.Contains(r.body, "4917612345678") {
		t.Errorf("inbound after the erasure: %s; want the other user only", r.body)
	}
	ledger, err := f.store.Ledger(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ledger {
		if l.MessageID != 0 {
			t.Errorf("ledger row %+v names an erased message", l)
		}
	}
	acct, err := f.store.Account(t.Context(), 1)
	if err != nil || acct.Balance != 10*openwaba.MicrosPerUnit {
		t.Errorf("balance %v, %v: the two free service answers cost nothing", acct.Balance, err)
	}
	if r := do("DELETE", "/api/waba/users/hello"); r.status != 400 || !strings.Contains(r.body, "user") {
		t.Errorf("erase of hello: %d %s", r.status, r.body)
	}
}
