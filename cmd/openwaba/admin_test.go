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
