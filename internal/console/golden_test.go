package console

import (
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestPagesGolden renders pages from fixed data: what a user wrote is
// escaped in text, attributes and URLs, and the markup stays as reviewed.
func TestPagesGolden(t *testing.T) {
	t.Parallel()
	c := testConsole(t, "golden")
	u := &user{Key: openwaba.APIKey{ID: 1, Name: `<b>key</b>`, Scopes: []openwaba.Scope{openwaba.ScopeWABA, openwaba.ScopeHooks}},
		Account: openwaba.Account{ID: 1, Name: `acme "<i>"`}, CSRF: "token"}
	label, errText, code := `"><img src=x onerror=alert(1)>`, "Message undeliverable <script>", 131026
	m := messageView{ID: "7", Sender: "4915112345678", Recipient: "4917612345678", Type: "text", Text: "<script>alert(1)</script>",
		Label: &label, Price: 0.0735, Status: "failed", StatusTime: "2026-12-02T10:00:05Z", Created: "2026-12-02T10:00:00Z",
		ErrorCode: &code, ErrorText: &errText}
	m.Statuses = append(m.Statuses, struct {
		Status    string  `json:"status"`
		Time      string  `json:"time"`
		ErrorCode *int    `json:"error_code"`
		ErrorText *string `json:"error_text"`
	}{Status: "failed", Time: "2026-12-02T10:00:05Z", ErrorText: &errText})
	tests := []struct {
		name string
		page string
		v    *view
	}{
		{"message", "message", &view{Title: "Message 7", Nav: "messages", User: u, Live: true, Data: messageData{Message: m, Hooks: true}}},
		{"conversation", "conversation", &view{Title: "Conversation with 4917612345678", Nav: "conversations", User: u, Data: conversationData{
			Sender: "4915112345678", User: `4917612345678"><x`, Sandbox: true,
			Entries: []entry{{Inbound: true, ID: "1", Content: shown{Body: `"><img src=x onerror=alert(2)>`}, Name: "<Anna>"}},
		}}},
		{"signin", "signin", &view{Title: "Sign in", CSRF: "pre-token", Problem: "key: this API key is wrong, revoked or expired."}},
		{"webhooks", "webhooks", &view{Title: "Webhooks", Nav: "webhooks", User: u, Live: true, Data: webhooksData{
			Hooks: []hookView{
				{ID: "1", TargetURL: `https://127.0.0.1/ok?<x`, EventType: "all", RequestMethod: "JSON", Created: "2026-12-02T10:00:00Z"},
				{ID: "2", TargetURL: "https://127.0.0.1/dead", EventType: "dlr", RequestMethod: "POST", Created: "2026-12-02T10:00:00Z",
					Pending: 1200, OldestPending: "2026-12-03T12:00:00Z", HeldUntil: "2026-12-03T12:05:00Z"},
			},
			Events: hookEvents, Form: map[string][]string{"request_method": {"JSON"}, "event_type": {"all"}},
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			c.render(rec, httptest.NewRequest("GET", "/", nil), 200, tc.page, tc.v)
			for _, raw := range []string{"<img", "<script>alert", "<b>key", "<i>", "<x", "<Anna>"} {
				if strings.Contains(rec.Body.String(), raw) {
					t.Errorf("page %s has %q unescaped", tc.name, raw)
				}
			}
			path := filepath.Join("testdata", tc.name+".golden.html")
			if *update {
				if err := os.WriteFile(path, rec.Body.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got := rec.Body.String(); got != string(want) {
				t.Errorf("page %s differs from %s (run with -update and review the diff):\n%s", tc.name, path, got)
			}
		})
	}
}
