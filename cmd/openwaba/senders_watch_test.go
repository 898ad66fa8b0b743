package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNewSenderWithoutRestart: a number registered with the CLI while the
// gateway runs is known to its sandbox at once (inbound and sends work)
// and has its WABA's templates within the watch interval, in an account
// that had none.
func TestNewSenderWithoutRestart(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.SenderWatchInterval = 20 * time.Millisecond })
	dir := g.cfg.DataDir
	must := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, dir, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	must("accounts", "create", "shop", "--balance", "10")
	key := strings.TrimSpace(must("keys", "create", "--account", "2", "--scope", "waba"))
	if out := must("templates", "list", "--account", "2"); strings.Contains(out, "hello_world") {
		t.Fatalf("account 2 has templates before it has a sender:\n%s", out)
	}
	const number = "4915199990007"
	must("senders", "add", number, "--account", "2", "--phone-number-id", "100000000000777", "--waba-id", "200000000000777")

	// The sandbox knows the number at once: the user writes to it.
	asShop := []string{"X-Api-Key", key}
	if r := g.do("POST", "/api/sandbox/inbound", `{"from":"`+testUser+`","to":"`+number+`","text":"Hi"}`, asShop...); r.Status != 200 {
		t.Fatalf("inbound to the new sender: %d %s", r.Status, r.Body)
	}
	// Its templates arrive without a restart.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(must("templates", "list", "--account", "2"), "hello_world") {
		if time.Now().After(deadline) {
			t.Fatal("account 2 never got its templates")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := g.do("POST", "/api/waba/messages", `{"from":"`+number+`","to":"`+testUser+`","type":"template","template":"hello_world","language":"de"}`, asShop...)
	if r.Status != 200 {
		t.Fatalf("template from the new sender: %d %s", r.Status, r.Body)
	}
	id := firstID(t, r.JSON(t))
	for {
		m := g.do("GET", "/api/waba/messages/"+id, "", asShop...).JSON(t)
		if m["status"] == "read" {
			break
		}
		if m["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("message from the new sender: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Registering it again is refused; --update replaces its MPS.
	if out, err := runCLI(t, dir, "senders", "add", number, "--account", "2", "--phone-number-id", "100000000000777", "--waba-id", "200000000000777", "--mps", "5"); err == nil || !strings.Contains(err.Error(), "--update") {
		t.Fatalf("second add: %v %s, want a refusal naming --update", err, out)
	}
	must("senders", "add", number, "--account", "2", "--phone-number-id", "100000000000777", "--waba-id", "200000000000777", "--mps", "5", "--update")
	if out := must("senders", "list", "--account", "2"); !regexp.MustCompile(`200000000000777\s+5\s`).MatchString(out) {
		t.Fatalf("senders list after --update:\n%s", out)
	}
	if out := must("senders", "list", "--all-accounts"); !strings.Contains(out, testSender) || !strings.Contains(out, "80 (default)") || !strings.Contains(out, number) {
		t.Fatalf("senders list --all-accounts:\n%s", out)
	}
}
