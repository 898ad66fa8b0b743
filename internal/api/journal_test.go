package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

// TestJournal: seven's journal filters select what their names say, on
// the history fixture (a user who wrote twice and was answered after
// each message).
func TestJournal(t *testing.T) {
	t.Parallel()
	f, do := historyFixture(t)
	f.key(1, "journal", nil, openwaba.ScopeJournal)
	ids := func(path string) string {
		t.Helper()
		r := f.do("GET", path, "", "X-Api-Key", "journal")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var rows []struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(r.body), &rows); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, row := range rows {
			out = append(out, row.ID+":"+row.Text)
		}
		do("GET", path) // and the answer is as openapi.json says (do checks it)
		return strings.Join(out, " ")
	}
	tests := []struct{ path, want string }{
		{"/api/journal/outbound", "2:Answer Thanks 1:Answer Hello"},
		{"/api/journal/outbound?to=4917612345678", "2:Answer Thanks 1:Answer Hello"}, // the BSUID is linked to the number
		{"/api/journal/outbound?limit=1&offset=1", "1:Answer Hello"},
		{"/api/journal/outbound?id=1", "1:Answer Hello"},
		{"/api/journal/outbound?id=1&state=DELIVERED", ""},
		{"/api/journal/outbound?state=ACCEPTED", "2:Answer Thanks 1:Answer Hello"},
		{"/api/journal/outbound?state=queued", "2:Answer Thanks 1:Answer Hello"},
		{"/api/journal/outbound?state=NOSUCHSTATE", ""},
		{"/api/journal/outbound?date_from=2026-01-02%2003:06:00", "2:Answer Thanks"},
		{"/api/journal/outbound?date_to=2026-01-01", ""},
		{"/api/journal/outbound?date_to=2026-01-02", "2:Answer Thanks 1:Answer Hello"}, // the whole day
		{"/api/journal/inbound", "3: 2:Thanks 1:Hello"},
		{"/api/journal/inbound?id=2", "2:Thanks"},
		{"/api/journal/inbound?date_from=undefined&date_to=undefined", "3: 2:Thanks 1:Hello"},
		// Thanks came after the first answer; Hello before any; the other
		// user was never written to.
		{"/api/journal/replies", "2:Thanks"},
		{"/api/journal/replies?id=1", ""},
		{"/api/journal/voice", ""},
	}
	for _, tc := range tests {
		if got := ids(tc.path); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.path, got, tc.want)
		}
	}
	if r := f.do("GET", "/api/journal/inbound", "", "X-Api-Key", "key-a"); r.status != 403 || r.body != "902" {
		t.Errorf("journal with a waba key: %d %s, want 403 902", r.status, r.body)
	}
}

func TestJournalAndAnalyticsRefusals(t *testing.T) {
	t.Parallel()
	f, _ := historyFixture(t)
	f.key(1, "all", nil, openwaba.ScopeJournal, openwaba.ScopeAnalytics)
	tests := []struct {
		path   string
		status int
		field  string
	}{
		{"/api/journal/outbound?limit=101", 400, "limit"},
		{"/api/journal/outbound?offset=-1", 400, "offset"},
		{"/api/journal/inbound?id=x", 400, "id"},
		{"/api/journal/replies?date_from=2026-02-01&date_to=2026-01-01", 400, "date_to"},
		{"/api/journal/outbound?to=nobody", 400, "to"},
		{"/api/journal/voice?limit=0", 400, "limit"},
		{"/api/analytics/country?subaccounts=7", 400, "subaccounts"},
		{"/api/analytics/date?start=today", 400, "start"},
		{"/api/analytics?group_by=week", 400, "group_by"},
		{"/api/analytics/week", 404, ""},
	}
	for _, tc := range tests {
		r := f.do("GET", tc.path, "", "X-Api-Key", "all")
		if r.status != tc.status || !strings.Contains(r.body, `"`+tc.field) {
			t.Errorf("%s: %d %s, want %d naming %q", tc.path, r.status, r.body, tc.status, tc.field)
		}
	}
}

// TestAnalyticsByCountry: numbers count under their region, BSUIDs under
// the country they start with, in seven's shape and in openwaba's.
func TestAnalyticsByCountry(t *testing.T) {
	t.Parallel()
	f, _ := historyFixture(t)
	f.key(1, "analytics", nil, openwaba.ScopeAnalytics)
	for _, path := range []string{"/api/analytics/country", "/api/analytics?group_by=country"} {
		r := f.do("GET", path, "", "X-Api-Key", "analytics")
		var rows []map[string]any
		if err := json.Unmarshal([]byte(r.body), &rows); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		// Both answers went to one German user, once by number and once
		// by a DE. BSUID; the user and someone else (+49 too) wrote.
		if len(rows) != 1 || rows[0]["country"] != "DE" || rows[0]["messages"] != 2.0 {
			t.Errorf("%s = %v, want one DE row of 2 messages", path, rows)
		}
		if strings.Contains(path, "group_by") {
			continue
		}
		if rows[0]["inbound"] != 3.0 || rows[0]["whatsapp"] != 2.0 || rows[0]["sms"] != 0.0 {
			t.Errorf("%s = %v, want inbound 3, whatsapp 2, sms 0", path, rows)
		}
	}
}
