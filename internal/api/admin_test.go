package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api/openapitest"
)

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.key(1, "root", nil, openwaba.ScopeAdmin)
	asAdmin := []string{"X-Api-Key", "root"}
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	// do checks every answer against openapi.json too.
	do := func(method, path, body string, headers ...string) reply {
		t.Helper()
		r := f.do(method, path, body, headers...)
		p, _, _ := strings.Cut(path, "?")
		if err := doc.Check(method, p, r.status, r.header.Get("Content-Type"), []byte(r.body)); err != nil {
			t.Errorf("openapi.json: %v", err)
		}
		return r
	}
	call := func(method, path, body string, wantStatus int) map[string]any {
		t.Helper()
		r := do(method, path, body, asAdmin...)
		if r.status != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, wantStatus)
		}
		var v any
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, r.body)
		}
		if m, ok := v.(map[string]any); ok {
			return m
		}
		return map[string]any{"list": v}
	}

	// A waba key is not an admin key.
	if r := do("GET", "/api/admin/accounts", "", "X-Api-Key", "key-a"); r.status != 403 || r.body != "902" {
		t.Fatalf("waba key on admin API: %d %s", r.status, r.body)
	}

	acct := call("POST", "/api/admin/accounts", `{"name":"acme","currency":"usd","balance":"3.5"}`, 201)
	if acct["id"] != 2.0 || acct["currency"] != "USD" || acct["balance"] != 3.5 || acct["signing"] != false {
		t.Fatalf("created %v", acct)
	}
	if list := call("GET", "/api/admin/accounts", "", 200)["list"].([]any); len(list) != 2 {
		t.Fatalf("accounts %v", list)
	}
	call("GET", "/api/admin/accounts/99", "", 404)
	call("GET", "/api/admin/accounts/x", "", 404)
	call("POST", "/api/admin/accounts", `{"currency":"EUR"}`, 400)
	call("POST", "/api/admin/accounts", `{"name":"x","currency":"euro"}`, 400)

	if b := call("POST", "/api/admin/accounts/2/topup", `{"amount":1.25,"reason":"invoice 7"}`, 200); b["amount"] != 4.75 || b["currency"] != "USD" {
		t.Fatalf("topup %v", b)
	}
	call("POST", "/api/admin/accounts/2/topup", `{"amount":"lots"}`, 400)
	ledger := call("GET", "/api/admin/accounts/2/ledger", "", 200)
	entries := ledger["entries"].([]any)
	if ledger["balance"] != 4.75 || len(entries) != 2 || entries[1].(map[string]any)["reason"] != "invoice 7" {
		t.Fatalf("ledger %v", ledger)
	}

	// Keys: created with its secret once, usable, listed without it, revoked.
	k := call("POST", "/api/admin/accounts/2/keys", `{"name":"ci","scopes":["waba"]}`, 201)
	secret, _ := k["key"].(string)
	if !strings.HasPrefix(secret, "owk_") {
		t.Fatalf("key %v", k)
	}
	if r := do("GET", "/api/balance", "", "X-Api-Key", secret); r.status != 200 || r.body != `{"amount":4.75,"currency":"USD"}`+"\n" {
		t.Fatalf("new key: %d %s", r.status, r.body)
	}
	keys := call("GET", "/api/admin/accounts/2/keys", "", 200)["list"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["key"] != nil || keys[0].(map[string]any)["last_used_at"] == nil {
		t.Fatalf("keys %v", keys)
	}
	call("POST", "/api/admin/accounts/2/keys", `{"scopes":["root"]}`, 400)
	call("POST", "/api/admin/accounts/2/keys", `{"scopes":["waba"],"expires_at":"2000-01-01T00:00:00Z"}`, 400)
	id := jsonNumber(k["id"])
	call("DELETE", "/api/admin/accounts/1/keys/"+id, "", 404) // not account 1's
	if rk := call("DELETE", "/api/admin/accounts/2/keys/"+id, "", 200); rk["revoked_at"] == nil {
		t.Fatalf("revoked %v", rk)
	}
	if r := do("GET", "/api/balance", "", "X-Api-Key", secret); r.status != 401 {
		t.Fatalf("revoked key: %d", r.status)
	}

	// Senders belong to one account.
	call("POST", "/api/admin/accounts/1/senders", `{"number":"+49 151 11111111","phone_number_id":"1","waba_id":"2"}`, 200)
	call("POST", "/api/admin/accounts/2/senders", `{"number":"4915111111111","phone_number_id":"3","waba_id":"4"}`, 409)
	call("POST", "/api/admin/accounts/2/senders", `{"number":"4915122222222","phone_number_id":"5","waba_id":"6","mps":2000}`, 400)
	call("POST", "/api/admin/accounts/2/senders", `{"number":"4915122222222","phone_number_id":"5","waba_id":"6"}`, 200)
	if list := call("GET", "/api/admin/accounts/2/senders", "", 200)["list"].([]any); len(list) != 1 || list[0].(map[string]any)["number"] != "4915122222222" {
		t.Fatalf("senders of 2: %v", list)
	}
	call("DELETE", "/api/admin/accounts/2/senders/4915111111111", "", 404)
	call("DELETE", "/api/admin/accounts/1/senders/4915111111111", "", 200)

	// Prices.
	call("PUT", "/api/admin/prices", `{"currency":"USD","prefix":"+49","category":"marketing","amount":"0.09"}`, 200)
	call("PUT", "/api/admin/prices", `{"currency":"USD","category":"marketing","amount":0.05}`, 200)
	call("PUT", "/api/admin/prices", `{"currency":"USD","prefix":"999","category":"marketing","amount":1}`, 400)
	call("PUT", "/api/admin/prices", `{"currency":"USD","category":"bulk","amount":1}`, 400)
	call("PUT", "/api/admin/prices", `{"currency":"USD","category":"service","amount":-1}`, 400)
	if list := call("GET", "/api/admin/prices?currency=usd", "", 200)["list"].([]any); len(list) != 2 || list[1].(map[string]any)["prefix"] != "49" || list[1].(map[string]any)["amount"] != 0.09 {
		t.Fatalf("prices %v", list)
	}
	call("DELETE", "/api/admin/prices?currency=USD&prefix=49&category=marketing", "", 200)
	call("DELETE", "/api/admin/prices?currency=USD&prefix=49&category=marketing", "", 404)

	// Signing on (secret shown once) and off.
	on := call("PUT", "/api/admin/accounts/2/signing", `{"enabled":true}`, 200)
	if on["signing"] != true || !strings.HasPrefix(on["secret"].(string), "ows_") {
		t.Fatalf("signing on: %v", on)
	}
	if a := call("GET", "/api/admin/accounts/2", "", 200); a["signing"] != true {
		t.Fatalf("account %v", a)
	}
	if off := call("PUT", "/api/admin/accounts/2/signing", `{"enabled":false}`, 200); off["signing"] != false || off["secret"] != nil {
		t.Fatalf("signing off: %v", off)
	}

	// Media retention in days; the store keeps it on the account.
	if r := call("PUT", "/api/admin/accounts/2/media-retention", `{"days":7}`, 200); r["days"] != 7.0 {
		t.Fatalf("media retention: %v", r)
	}
	if a, err := f.store.Account(t.Context(), 2); err != nil || a.MediaRetention != 7*24*time.Hour {
		t.Fatalf("account retention %v, %v", a.MediaRetention, err)
	}
	for _, body := range []string{`{}`, `{"days":-1}`, `{"days":"x"}`, `{"days":3651}`} {
		if r := call("PUT", "/api/admin/accounts/2/media-retention", body, 400); !strings.Contains(r["error_message"].(string), "days:") {
			t.Errorf("%s: %v, want a 400 naming days", body, r)
		}
	}
	call("PUT", "/api/admin/accounts/99/media-retention", `{"days":1}`, 404)
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
