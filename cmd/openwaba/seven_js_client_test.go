package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sevenJSClient is the version of seven's official JS client
// (npm @seven.io/client) whose requests are replayed here: its
// JournalResource and AnalyticsResource, read from dist/index-*.js of
// the package.
const sevenJSClient = "@seven.io/client 5.6.0"

// What Client.request of that version sends: the base URL (here the
// gateway's /api instead of https://gateway.seven.io/api), the endpoint,
// and for GET the payload as URLSearchParams after a "?" when the payload
// has keys; these headers on every request (X-Api-Key, or Authorization
// for a key that starts with "Bearer ").
var sevenJSHeaders = [][2]string{
	{"Accept", "application/json"},
	{"Content-Type", "application/json"},
	{"SentWith", "js"},
	{"X-Api-Key", testKey},
}

// sevenJSRequests are the requests of JournalResource and
// AnalyticsResource, as the client builds them:
//
//   - journal.inbound/outbound/voice(p) send {...rest, date_from:
//     p.dateFrom, date_to: p.dateTo}: without dates the two keys are
//     there with the value undefined, which URLSearchParams writes as the
//     word "undefined".
//   - analytics.byX(p) send p itself with start and end formatted
//     yyyy-MM-dd; without parameters no query at all.
//
// Each names the TypeScript type of the client that the answer's elements
// must fit (sevenJSTypes).
var sevenJSRequests = []struct {
	call, path, elem string
}{
	{"journal.outbound()", "/api/journal/outbound?date_from=undefined&date_to=undefined", "JournalOutbound"},
	{"journal.inbound()", "/api/journal/inbound?date_from=undefined&date_to=undefined", "JournalInbound"},
	{"journal.voice()", "/api/journal/voice?date_from=undefined&date_to=undefined", "JournalVoice"},
	{"journal.outbound({limit: 1, offset: 0, to: '4917612345678', state: 'DELIVERED', dateFrom: '2020-01-01', dateTo: '2099-12-31'})",
		"/api/journal/outbound?limit=1&offset=0&to=4917612345678&state=DELIVERED&date_from=2020-01-01&date_to=2099-12-31", "JournalOutbound"},
	{"journal.inbound({to: '4915112345678'})", "/api/journal/inbound?to=4915112345678&date_from=undefined&date_to=undefined", "JournalInbound"},
	{"analytics.byDate()", "/api/analytics/date", "AnalyticGroupByDate"},
	{"analytics.byLabel({start: new Date('2020-01-01'), end: new Date('2099-12-31'), label: 'all'})",
		"/api/analytics/label?start=2020-01-01&end=2099-12-31&label=all", "AnalyticGroupByLabel"},
	{"analytics.bySubaccount({subaccounts: 'only_main'})", "/api/analytics/subaccount?subaccounts=only_main", "AnalyticGroupBySubaccount"},
	{"analytics.byCountry({start: new Date('2020-01-01'), subaccounts: 'all'})",
		"/api/analytics/country?start=2020-01-01&subaccounts=all", "AnalyticGroupByCountry"},
}

// sevenJSTypes are the client's types (dist/index.d.ts) the answers are
// read as: each field with its JSON type ("string|null": either).
var sevenJSTypes = func() map[string]map[string]string {
	base := map[string]string{"from": "string", "id": "string", "price": "string", "text": "string", "timestamp": "string", "to": "string"}
	analytic := map[string]string{"hlr": "number", "inbound": "number", "mnp": "number", "rcs": "number", "sms": "number", "usage_eur": "number", "voice": "number"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	return map[string]map[string]string{
		"JournalOutbound": with(base, "connection", "string", "dlr", "string|null", "dlr_timestamp", "string|null",
			"foreign_id", "string|null", "label", "string|null", "latency", "string|null", "mccmnc", "string|null", "type", "string"),
		"JournalInbound":            with(base, "reply_to_message_id", "string|null"),
		"JournalVoice":              with(base, "duration", "string", "error", "string", "status", "string", "xml", "boolean"),
		"AnalyticGroupByDate":       with(analytic, "date", "string"),
		"AnalyticGroupByLabel":      with(analytic, "label", "string"),
		"AnalyticGroupBySubaccount": with(analytic, "account", "string"),
		"AnalyticGroupByCountry":    with(analytic, "country", "string"),
	}
}()

// jsonType names v's JSON type as the client's types do.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// sevenJSMask hides what differs between runs: times, today's date, ids.
var sevenJSMask = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`), "<time>"},
	{regexp.MustCompile(`"date":"\d{4}-\d{2}-\d{2}"`), `"date":"<today>"`},
	{regexp.MustCompile(`"(id|account|reply_to_message_id)":"\d+"`), `"$1":"<id>"`},
}

// TestSevenJSClientJournalAndAnalytics replays the requests of seven's
// official JS client against a real gateway (only the base URL changed)
// and checks that every answer is what the client's types say, and what
// the golden file says.
func TestSevenJSClientJournalAndAnalytics(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	// A user writes, is answered with freetext and a template, and writes
	// again (a reply).
	g.openWindow(testUser)
	text := firstID(t, g.send(`{"from":"`+testSender+`","to":"`+testUser+`","text":"Thanks, we are on it","label":"support"}`))
	tmpl := firstID(t, g.send(`{"from":"`+testSender+`","to":"`+testUser+`","type":"template","template":"hello_world","language":"de"}`))
	g.waitStatus(text, "read")
	g.waitStatus(tmpl, "read")
	g.openWindow(testUser)

	var transcript bytes.Buffer
	fmt.Fprintf(&transcript, "# %s: requests replayed and answers (masked)\n", sevenJSClient)
	for _, rq := range sevenJSRequests {
		req, err := http.NewRequest("GET", g.BaseURL+rq.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range sevenJSHeaders {
			req.Header.Set(h[0], h[1])
		}
		resp, err := (&http.Client{Transport: checkingTransport{t: t}}).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", rq.call, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: GET %s: %d %s", rq.call, rq.path, resp.StatusCode, body)
			continue
		}
		var rows []map[string]any
		if err := json.Unmarshal(body, &rows); err != nil {
			t.Errorf("%s: the client reads an array of %s, got %s", rq.call, rq.elem, body)
			continue
		}
		for i, row := range rows {
			for field, want := range sevenJSTypes[rq.elem] {
				v, ok := row[field]
				if !ok || !slices.Contains(strings.Split(want, "|"), jsonType(v)) {
					t.Errorf("%s: row %d: %s is %s (%v), the client's %s wants %s", rq.call, i, field, jsonType(v), v, rq.elem, want)
				}
			}
		}
		masked := body
		for _, m := range sevenJSMask {
			masked = m.re.ReplaceAll(masked, []byte(m.with))
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, masked, "", "  "); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&transcript, "\n## %s\nGET %s\n", rq.call, rq.path)
		for _, h := range sevenJSHeaders {
			v := h[1]
			if h[0] == "X-Api-Key" {
				v = "<key>"
			}
			fmt.Fprintf(&transcript, "%s: %s\n", h[0], v)
		}
		fmt.Fprintf(&transcript, "\n%s\n", pretty.Bytes())
	}
	path := filepath.Join("testdata", "golden", "seven_js_client.txt")
	if *update {
		if err := os.WriteFile(path, transcript.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(transcript.Bytes(), want) {
		t.Errorf("answers differ from %s:\n%s", path, transcript.Bytes())
	}
}
