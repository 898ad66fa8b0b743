package api_test

import (
	"strings"
	"testing"

	"github.com/openwaba/openwaba/internal/api/openapitest"
)

// TestSuppressionsAPI: the list through the API, each answer as
// openapi.json says, each bad field a 400 naming it.
func TestSuppressionsAPI(t *testing.T) {
	t.Parallel()
	f, _ := historyFixture(t)
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string, status int, contains string) {
		t.Helper()
		r := f.do(method, path, body, "X-Api-Key", "key-a")
		p, _, _ := strings.Cut(path, "?")
		if err := doc.Check(method, p, r.status, r.header.Get("Content-Type"), []byte(r.body)); err != nil {
			t.Errorf("%s %s: openapi.json: %v", method, path, err)
		}
		if r.status != status || !strings.Contains(r.body, contains) {
			t.Errorf("%s %s %s: %d %s, want %d with %s", method, path, body, r.status, r.body, status, contains)
		}
	}
	call("GET", "/api/waba/suppressions", "", 200, `"suppressions":[],"opt_out_keywords":["STOP","STOPP","UNSUBSCRIBE","ABMELDEN"],"opt_in_keywords":["START"]`)
	// The BSUID is linked to the number: both go on the list.
	call("POST", "/api/waba/suppressions", `{"user":"+49 176 12345678","note":"asked by phone"}`, 200, `"changed":true`)
	call("POST", "/api/waba/suppressions", `{"user":"DE.1350000000000000001"}`, 200, `"changed":false`)
	call("GET", "/api/waba/suppressions", "", 200, `{"user":"4917612345678","reason":"api","note":"asked by phone"`)
	call("GET", "/api/waba/suppressions", "", 200, `{"user":"DE.1350000000000000001","reason":"api"`)
	call("DELETE", "/api/waba/suppressions/DE.1350000000000000001", "", 200, `"changed":true`)
	call("DELETE", "/api/waba/suppressions/4917612345678", "", 200, `"changed":false`)
	call("PUT", "/api/waba/suppressions/keywords", `{"opt_out":["halt","Stop!"],"opt_in":[]}`, 200, `"opt_out_keywords":["HALT","STOP"],"opt_in_keywords":["START"]`)
	for _, tc := range []struct{ method, path, body, field string }{
		{"POST", "/api/waba/suppressions", `{"user":"nobody"}`, "user"},
		{"POST", "/api/waba/suppressions", `{"user":"4917612345678","note":"` + strings.Repeat("x", 501) + `"}`, "note"},
		{"POST", "/api/waba/suppressions", `{"user":"4917612345678","sender":"x"}`, "sender"},
		{"DELETE", "/api/waba/suppressions/nobody", ``, "user"},
		{"PUT", "/api/waba/suppressions/keywords", `{"opt_out":["a,b"]}`, "opt_out"},
		{"PUT", "/api/waba/suppressions/keywords", `{"opt_out":["stop"],"opt_in":["STOP"]}`, "opt_in"},
		{"PUT", "/api/waba/suppressions/keywords", `{"opt_in":["` + strings.Repeat("x", 51) + `"]}`, "opt_in"},
	} {
		call(tc.method, tc.path, tc.body, 400, tc.field)
	}
}
