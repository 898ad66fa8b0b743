package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCLIJSONIsTheAPIs: every list and show command's --json prints what
// the HTTP API answers for the same, byte for byte; send, status and
// delete print the API's answer as it came.
func TestCLIJSONIsTheAPIs(t *testing.T) {
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
	admin := strings.TrimSpace(must("keys", "create", "--scope", "admin", "--name", "operator"))
	must("accounts", "create", "acme", "--currency", "USD", "--balance", "3")
	must("prices", "set", "--currency", "USD", "--prefix", "49", "--category", "utility", "0.02")
	must("senders", "add", "4915199990002", "--account", "2", "--phone-number-id", "900", "--waba-id", "901")
	if r := g.do("POST", "/api/hooks", "target_url=http://127.0.0.1:9/h&event_type=all&request_method=JSON", "Content-Type", "application/x-www-form-urlencoded"); r.Status != 200 {
		t.Fatalf("creating a hook: %d %s", r.Status, r.Body)
	}
	asAdmin := []string{"X-Api-Key", admin}
	tests := []struct {
		cli     []string
		path    string
		headers []string
	}{
		{[]string{"accounts", "list"}, "/api/admin/accounts", asAdmin},
		{[]string{"keys", "list"}, "/api/admin/accounts/1/keys", asAdmin},
		{[]string{"senders", "list", "--account", "2"}, "/api/admin/accounts/2/senders", asAdmin},
		{[]string{"prices", "list"}, "/api/admin/prices", asAdmin},
		{[]string{"prices", "list", "--currency", "usd"}, "/api/admin/prices?currency=USD", asAdmin},
		{[]string{"balance", "show"}, "/api/balance", nil},
		{[]string{"hooks", "list"}, "/api/hooks", nil},
		{[]string{"hooks", "dead"}, "/api/hooks/dead", nil},
		{[]string{"templates", "list"}, "/api/waba/templates", nil},
		{[]string{"templates", "show", "hello_world", "--language", "de"}, "/api/waba/templates?name=hello_world&language=de", nil},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.cli, " "), func(t *testing.T) {
			// The gateway syncs the new sender's templates in the
			// background, which moves their update times: an answer that
			// differs is asked for again, a few times.
			var got, want string
			for range 5 {
				r := g.do("GET", tc.path, "", tc.headers...)
				if r.Status != 200 {
					t.Fatalf("GET %s: %d %s", tc.path, r.Status, r.Body)
				}
				want = string(r.Body)
				// The last used time of the admin key moves with the request.
				if got = must(append(tc.cli, "--json")...); got == want || strings.Contains(tc.path, "/keys") {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
			t.Errorf("--json:\n%s\nthe API:\n%s", got, want)
		})
	}

	// accounts show --json: the account, keys, senders and ledger answers.
	var shown map[string]json.RawMessage
	if err := json.Unmarshal([]byte(must("accounts", "show", "--account", "2", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	for part, path := range map[string]string{"account": "/api/admin/accounts/2", "senders": "/api/admin/accounts/2/senders", "ledger": "/api/admin/accounts/2/ledger", "keys": "/api/admin/accounts/2/keys"} {
		if r := g.do("GET", path, "", asAdmin...); strings.TrimSpace(string(r.Body)) != string(shown[part]) {
			t.Errorf("accounts show --json %s: %s, the API: %s", part, shown[part], r.Body)
		}
	}

	if out, _, err := g.runAPI(t, "health", "--ready"); err != nil || !strings.Contains(out, "/readyz") {
		t.Errorf("health --ready: %v %s", err, out)
	}
	if _, _, err := g.runAPI(t, "health", "--url", "http://127.0.0.1:1"); err == nil {
		t.Error("health of nothing listening: exit 0")
	}

	// The API commands print the answer as it came: strings stay strings,
	// nulls stay null.
	out, _, err := g.runAPI(t, "send", "--from", testSender, "--to", testUser, "--template", "hello_world", "--language", "de", "--json", "--debug")
	if err != nil || !strings.Contains(out, `"debug":"true"`) || !strings.Contains(out, `"label":null`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("send --json: %v\n%s", err, out)
	}
}

// TestCLIDelayInAccountTimeZone: the CLI's --delay means what the API's
// delay means: a date without an offset in the account's time zone, one
// with an offset as given.
func TestCLIDelayInAccountTimeZone(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.TimeZone = "Europe/Berlin" })
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	for _, delay := range []string{
		due.In(berlin).Format(time.DateTime),
		due.UTC().Format("2006-01-02 15:04:05Z07:00"),
		due.In(time.FixedZone("", -5*3600)).Format(time.RFC3339),
		strconv.FormatInt(due.Unix(), 10),
	} {
		out, _, err := g.runAPI(t, "send", "--from", testSender, "--to", testUser, "--template", "hello_world", "--language", "de", "--delay", delay, "--json")
		if err != nil {
			t.Fatalf("--delay %q: %v\n%s", delay, err, out)
		}
		var resp struct{ Messages []struct{ ID string } }
		if err := json.Unmarshal([]byte(out), &resp); err != nil || len(resp.Messages) != 1 {
			t.Fatalf("--delay %q: %v\n%s", delay, err, out)
		}
		m := g.do("GET", "/api/waba/messages/"+resp.Messages[0].ID, "").JSON(t)
		if m["scheduled"] != due.UTC().Format(time.RFC3339) {
			t.Errorf("--delay %q scheduled at %v, want %s", delay, m["scheduled"], due.UTC().Format(time.RFC3339))
		}
	}
}
