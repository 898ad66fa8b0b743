package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(t *testing.T, dataDir string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "OPENWABA_DATA_DIR" {
			return dataDir
		}
		return ""
	}
	err := run(context.Background(), args, getenv, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestSendersCommand(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := g.cfg.DataDir
	out, err := runCLI(t, dir, "senders", "add", "+49 151 99999999", "--phone-number-id", "123", "--waba-id", "456", "--mps", "1000")
	if err != nil || !strings.Contains(out, "sender 4915199999999 added") {
		t.Fatalf("add: %v %s", err, out)
	}
	out, err = runCLI(t, dir, "senders", "list")
	if err != nil || !strings.Contains(out, "4915199999999  1        123") || !strings.Contains(out, "4915112345678") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	// The running gateway sees the new number at once.
	r := g.do("POST", "/api/waba/messages", strings.Replace(helloWorld, `"from":"4915112345678"`, `"from":"4915199999999"`, 1))
	if r.Status != 200 {
		t.Fatalf("send from new sender: %d %s", r.Status, r.Body)
	}
	if out, err = runCLI(t, dir, "senders", "remove", "4915199999999"); err != nil {
		t.Fatalf("remove: %v %s", err, out)
	}
	r = g.do("POST", "/api/waba/messages", strings.Replace(helloWorld, `"from":"4915112345678"`, `"from":"4915199999999"`, 1))
	if r.Status != 400 {
		t.Fatalf("send from removed sender: %d %s", r.Status, r.Body)
	}
	for _, bad := range [][]string{
		{"senders", "add", "4915199999999"},
		{"senders", "add", "abc", "--phone-number-id", "1", "--waba-id", "2"},
		{"senders", "add", "4915199999999", "--phone-number-id", "1", "--waba-id", "2", "--account", "42"},
		{"senders", "frobnicate"},
	} {
		if _, err := runCLI(t, dir, bad...); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

// TestSendersOfAnotherAccount: the CLI cannot move a number between
// accounts; the store refuses it with the reason, and nothing changes.
func TestSendersOfAnotherAccount(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := g.cfg.DataDir
	if out, err := runCLI(t, dir, "accounts", "create", "other"); err != nil {
		t.Fatalf("accounts create: %v %s", err, out)
	}
	out, err := runCLI(t, dir, "senders", "add", "4915112345678", "--phone-number-id", "999", "--waba-id", "9", "--account", "2")
	if err == nil || !strings.Contains(out+err.Error(), "sender of another account") {
		t.Fatalf("senders add of account 1's number for account 2: %v %s; want the reason", err, out)
	}
	if r := g.do("POST", "/api/waba/messages", helloWorld); r.Status != 200 {
		t.Fatalf("account 1 lost its sender: %d %s", r.Status, r.Body)
	}
}

func TestKeysCreate(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	out, err := runCLI(t, g.cfg.DataDir, "keys", "create", "--scope", "waba", "--name", "ci")
	if err != nil {
		t.Fatalf("keys create: %v %s", err, out)
	}
	key := strings.TrimSpace(out)
	if r := g.do("POST", "/api/waba/messages", helloWorld, "X-Api-Key", key); r.Status != 200 {
		t.Fatalf("new key: %d %s", r.Status, r.Body)
	}
	if _, err := runCLI(t, g.cfg.DataDir, "keys", "create", "--scope", "root"); err == nil {
		t.Fatal("unknown scope accepted")
	}
}

// TestAdminCommands drives accounts, keys, senders, balance and prices
// through the CLI against a running gateway's data dir, and checks the
// gateway's API sees each change.
func TestAdminCommands(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := g.cfg.DataDir
	must := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, dir, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}

	out := must("accounts", "create", "acme", "--currency", "usd", "--balance", "2.5")
	if !strings.Contains(out, `account 2 "acme" created (2.5 USD)`) {
		t.Fatalf("create: %s", out)
	}
	if out := must("accounts", "list"); !strings.Contains(out, "acme") || !strings.Contains(out, "default") {
		t.Fatalf("list: %s", out)
	}
	key := strings.TrimSpace(must("keys", "create", "--account", "2", "--scope", "waba,analytics", "--name", "acme-ci", "--expires", "720h"))
	if r := g.do("GET", "/api/balance", "", "X-Api-Key", key); r.Status != 200 || string(r.Body) != `{"amount":2.5,"currency":"USD"}`+"\n" {
		t.Fatalf("balance of the new account: %d %s", r.Status, r.Body)
	}
	must("balance", "topup", "--account", "2", "10")
	if r := g.do("GET", "/api/balance", "", "X-Api-Key", key); string(r.Body) != `{"amount":12.5,"currency":"USD"}`+"\n" {
		t.Fatalf("balance after topup: %s", r.Body)
	}

	// A sender of its own, priced in its currency by the table.
	must("senders", "add", "4915199990002", "--account", "2", "--phone-number-id", "900", "--waba-id", "901")
	if out := must("senders", "list", "--account", "2"); !strings.Contains(out, "4915199990002") || strings.Contains(out, testSender) {
		t.Fatalf("senders of account 2: %s", out)
	}
	must("prices", "set", "--currency", "USD", "--category", "marketing", "0.01")
	must("prices", "set", "--currency", "USD", "--prefix", "+49", "--category", "marketing", "0.02")
	must("prices", "set", "--currency", "EUR", "--prefix", "49", "--category", "utility", "0.03")
	if out := must("prices", "list", "--currency", "USD"); !strings.Contains(out, "USD       49       marketing  0.02") || !strings.Contains(out, "default") || strings.Contains(out, "EUR") {
		t.Fatalf("prices list:\n%s", out)
	}
	ctx := context.Background()
	ts, err := g.store.Templates(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ts {
		ts[i].AccountID = 2
	}
	if err := g.store.ReplaceTemplates(ctx, 2, ts); err != nil {
		t.Fatal(err)
	}
	for to, want := range map[string]float64{"4917612345678": 0.02, "33612345678": 0.01} {
		body := `{"from":"4915199990002","to":"` + to + `","type":"template","template":"hello_world","language":"en","debug":"1"}`
		r := g.do("POST", "/api/waba/messages", body, "X-Api-Key", key)
		if m := r.JSON(t); r.Status != 200 || m["total_price"] != want {
			t.Fatalf("price to %s: %d %s, want %v", to, r.Status, r.Body, want)
		}
	}
	must("prices", "delete", "--currency", "USD", "--prefix", "49", "--category", "marketing")
	if out := must("prices", "list"); strings.Contains(out, "0.02") || !strings.Contains(out, "0.03") {
		t.Fatalf("prices after delete:\n%s", out)
	}

	// Keys: list shows state and last use, revoke stops the key at once.
	out = must("keys", "list", "--account", "2")
	if !strings.Contains(out, "acme-ci") || !strings.Contains(out, "waba,analytics") || !strings.Contains(out, "active") {
		t.Fatalf("keys list: %s", out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if _, err := runCLI(t, dir, "keys", "revoke", id, "--account", "1"); err == nil {
		t.Fatal("revoked another account's key")
	}
	must("keys", "revoke", id, "--account", "2")
	if r := g.do("GET", "/api/balance", "", "X-Api-Key", key); r.Status != 401 || string(r.Body) != "900" {
		t.Fatalf("revoked key: %d %s", r.Status, r.Body)
	}
	if out := must("keys", "list", "--account", "2"); !strings.Contains(out, "revoked") {
		t.Fatalf("keys list after revoke: %s", out)
	}

	// Signing on and off.
	secret := strings.TrimSpace(must("accounts", "signing", "--account", "1"))
	if r := g.do("GET", "/api/balance", ""); r.Status != 401 {
		t.Fatalf("unsigned request with signing on: %d %s", r.Status, r.Body)
	}
	if !strings.HasPrefix(secret, "ows_") {
		t.Fatalf("secret %q", secret)
	}
	must("accounts", "signing", "--off")
	if r := g.do("GET", "/api/balance", ""); r.Status != 200 {
		t.Fatalf("signing off: %d %s", r.Status, r.Body)
	}
	if out := must("accounts", "show", "--account", "2"); !strings.Contains(out, "balance: 12.5 USD") || !strings.Contains(out, "4915199990002") || !strings.Contains(out, "topup") {
		t.Fatalf("show: %s", out)
	}

	for _, bad := range [][]string{
		{"accounts", "create"},
		{"accounts", "create", "x", "--currency", "euro"},
		{"accounts", "show", "--account", "99"},
		{"accounts", "show", "2"},
		{"keys", "create", "--account", "99"},
		{"keys", "create", "--expires", "soon"},
		{"keys", "revoke", "999", "--account", "2"},
		{"balance", "topup", "0"},
		{"balance", "topup", "--account", "2"},
		{"balance", "topup", "--account", "2", "ten"},
		{"prices", "set", "--category", "bulk", "1"},
		{"prices", "set", "--category", "marketing", "--prefix", "999", "1"},
		{"prices", "set", "--category", "marketing", "-1"},
		{"prices", "delete", "--category", "marketing", "--prefix", "33"},
		{"senders", "remove", "4915199990002", "--account", "1"},
	} {
		if out, err := runCLI(t, dir, bad...); err == nil {
			t.Errorf("%v: want an error, got %s", bad, out)
		}
	}
}
