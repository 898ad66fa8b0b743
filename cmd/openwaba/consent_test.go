package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConsentEndToEnd: a user writes STOP through the sandbox; a marketing
// template to them is then refused with 131050 and nothing charged, a
// utility template still goes, and the customer's webhook got opt_out.
// The "Stop promotions" button of another user does the same; START
// takes the first user off the list (opt_in) and marketing goes again.
func TestConsentEndToEnd(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	g.hookAll(t, recv)
	inbound := func(from, body string) {
		t.Helper()
		g.sandboxDo(t, "inbound", `{"from":"`+from+`","to":"`+testSender+`",`+body+`}`)
	}
	inbound(testUser, `"text":"Stop!"`)
	ev := recv.event(t, "opt_out", "user", testUser)
	if ev["reason"] != "keyword" || ev["note"] != "STOP" || ev["sender"] != testSender {
		t.Errorf("opt_out event %v, want reason keyword, note STOP, sender %s", ev, testSender)
	}

	balance := func() float64 {
		t.Helper()
		var b struct{ Amount float64 }
		if err := json.Unmarshal(g.do("GET", "/api/balance", "").Body, &b); err != nil {
			t.Fatal(err)
		}
		return b.Amount
	}
	before := balance()
	marketing := `{"from":"` + testSender + `","to":"` + testUser + `","type":"template","template":"hello_world","language":"de"}`
	resp := g.send(marketing)
	msg := resp["messages"].([]any)[0].(map[string]any)
	if resp["success"] != "131050" || msg["success"] != false || msg["error"] != "131050" || msg["price"] != 0.0 || msg["id"] != nil {
		t.Fatalf("marketing template to an opted-out user: %v", resp)
	}
	if !strings.Contains(msg["error_text"].(string), "opted out") {
		t.Errorf("error_text %q does not say why", msg["error_text"])
	}
	if after := balance(); after != before {
		t.Errorf("balance %v after the refusal, was %v: it was charged", after, before)
	}

	utility := `{"from":"` + testSender + `","to":"` + testUser + `","type":"template","template":"order_confirmation","language":"de",` +
		`"components":{"body":["Anna","ORD-1"],"buttons":[{"type":"button","sub_type":"url","parameters":[{"type":"text","text":"ORD-1"}]}]}}`
	if r := g.send(utility); r["success"] != "100" {
		t.Fatalf("utility template to an opted-out user: %v", r)
	}

	// Another user taps Stop promotions under a marketing template.
	const other = "4917612345679"
	promo := firstID(t, g.send(strings.Replace(marketing, testUser, other, 1)))
	g.waitStatus(promo, "read")
	inbound(other, `"type":"button","text":"Stop promotions","id":"stop","msg_id":"`+promo+`"`)
	if ev := recv.event(t, "opt_out", "user", other); ev["reason"] != "stop_promotions" {
		t.Errorf("opt_out event %v, want reason stop_promotions", ev)
	}
	var list struct {
		Suppressions []struct{ User, Reason string }
	}
	if err := json.Unmarshal(g.do("GET", "/api/waba/suppressions", "").Body, &list); err != nil {
		t.Fatal(err)
	}
	// Each user under their number and the BSUID the sandbox gave them.
	reasons := map[string]string{}
	for _, e := range list.Suppressions {
		reasons[e.User] = e.Reason
	}
	if len(list.Suppressions) != 4 || reasons[testUser] != "keyword" || reasons[other] != "stop_promotions" {
		t.Fatalf("suppression list %+v; want both users under two ids each", list)
	}

	inbound(testUser, `"text":"START"`)
	if ev := recv.event(t, "opt_in", "user", testUser); ev["reason"] != "keyword" {
		t.Errorf("opt_in event %v, want reason keyword", ev)
	}
	if r := g.send(marketing); r["success"] != "100" {
		t.Fatalf("marketing template after START: %v", r)
	}
}

// TestSuppressionsCommand: the command line puts users on the list and
// takes them off as the API does, and refuses what the API refuses.
func TestSuppressionsCommand(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t) // the default account
	run := func(args ...string) (string, error) {
		t.Helper()
		return runCLI(t, g.cfg.DataDir, args...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"suppressions", "add", "+49 176 12345678", "--note", "asked by phone"}, "4917612345678 is on the suppression list of account 1"},
		{[]string{"suppressions", "add", "4917612345678"}, "was on the suppression list of account 1 already"},
		{[]string{"suppressions", "list"}, "asked by phone"},
		{[]string{"suppressions", "keywords", "--opt-out", "halt,stop"}, "opt-out keywords: HALT, STOP"},
		{[]string{"suppressions", "remove", "4917612345678"}, "is off the suppression list"},
		{[]string{"suppressions", "list", "--json"}, `"suppressions":[]`},
	} {
		out, err := run(tc.args...)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("%v: %q, %v; want %q", tc.args, out, err, tc.want)
		}
	}
	for _, args := range [][]string{
		{"suppressions", "add", "hello"},
		{"suppressions", "keywords", "--opt-out", "!!"},
		{"suppressions", "keywords", "--opt-out", "stop", "--opt-in", "stop"},
	} {
		if out, err := run(args...); err == nil {
			t.Errorf("%v was taken: %q", args, out)
		}
	}
}

// TestEraseCommand: openwaba erase removes the user's messages; the
// gateway's API no longer lists them.
func TestEraseCommand(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.openWindow(testUser)
	out, err := runCLI(t, g.cfg.DataDir, "erase", "+49 176 12345678")
	if err != nil || !strings.Contains(out, "erased 4917612345678 from account 1: 0 messages sent, 1 received") {
		t.Fatalf("erase: %q, %v", out, err)
	}
	if r := g.do("GET", "/api/waba/inbound", ""); !strings.Contains(string(r.Body), `"messages":[]`) {
		t.Errorf("inbound after the erasure: %s", r.Body)
	}
	if out, err := runCLI(t, g.cfg.DataDir, "erase", "nobody"); err == nil {
		t.Errorf("erase nobody: %q", out)
	}
}
