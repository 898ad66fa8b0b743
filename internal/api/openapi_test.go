package api_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/api/openapitest"
)

// routePattern is a mux pattern with a method: "GET /api/admin/accounts".
var routePattern = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /\S*$`)

// registeredRoutes reads the mux patterns of the package's sources, so that
// a route added anywhere in the package must be documented: the literal
// pattern of mux.Handle and mux.HandleFunc, and the first argument of any
// other call when it is a string literal that looks like "METHOD /path"
// (helpers such as adminRoutes' admin("GET /api/admin/accounts", h)).
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			pattern, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if (ok && (sel.Sel.Name == "Handle" || sel.Sel.Name == "HandleFunc")) || routePattern.MatchString(pattern) {
				routes = append(routes, pattern)
			}
			return true
		})
	}
	return routes
}

// TestOpenAPIRoutes keeps openapi.json and the routes in sync: every
// registered route is documented, every documented operation is
// registered. A pattern without a method ("/webhooks/meta") must have at
// least one documented method and covers all of them.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	documented := doc.Operations()
	routes := registeredRoutes(t)
	if len(routes) < 5 {
		t.Fatalf("found only %d routes in the sources: %v", len(routes), routes)
	}
	covered := map[string]bool{}
	for _, pattern := range routes {
		if pattern == "/" { // the catch-all 404
			continue
		}
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			path, method = pattern, ""
		}
		found := false
		for _, op := range documented {
			m, p, _ := strings.Cut(op, " ")
			if p == path && (method == "" || m == method) {
				covered[op], found = true, true
			}
		}
		if !found {
			t.Errorf("route %q is not in internal/api/openapi.json", pattern)
		}
	}
	for _, op := range documented {
		if !covered[op] {
			t.Errorf("openapi.json documents %q, which no route serves", op)
		}
	}
	if !slices.Contains(documented, "GET /openapi.json") {
		t.Errorf("the document does not describe itself")
	}
}

func TestOpenAPIIsServedWithoutAuth(t *testing.T) {
	t.Parallel()
	s := api.New(api.Config{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, file) {
		t.Fatal("served document differs from internal/api/openapi.json")
	}
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Check("GET", "/openapi.json", rec.Code, rec.Header().Get("Content-Type"), body); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAPIChecksResponses(t *testing.T) {
	t.Parallel()
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		status             int
		body               string
		ok                 bool
	}{
		{"bare 900", "POST", "/api/waba/messages", 401, "900", true},
		{"wrong bare code", "POST", "/api/waba/messages", 401, "902", false},
		{"not found", "DELETE", "/api/waba/messages/17", 404, `{"code":404,"message":"Page not found","errors":[]}`, true},
		{"undocumented status", "DELETE", "/api/waba/messages/17", 418, `{}`, false},
		{"extra field", "DELETE", "/api/waba/messages/17", 200, `{"success":true,"x":1}`, false},
		{"events error", "POST", "/api/waba/events", 400, `{"success":false,"error_code":400,"error_message":"x"}`, true},
		{"send response", "POST", "/api/waba/messages", 200, `{"success":"100","total_price":0,"balance":1,"debug":"false","sms_type":"WA","messages":[{"id":"1","sender":"1","recipient":"2","text":"t","encoding":"gsm","label":null,"parts":1,"udh":null,"is_binary":false,"price":0,"channel":"WA","success":true,"error":null,"error_text":null}]}`, true},
		{"send entry with a bad id", "POST", "/api/waba/messages", 200, `{"success":"100","total_price":0,"balance":1,"debug":"false","sms_type":"WA","messages":[{"id":"x","sender":"1","recipient":"2","text":"t","encoding":"gsm","label":null,"parts":1,"udh":null,"is_binary":false,"price":0,"channel":"WA","success":true,"error":null,"error_text":null}]}`, false},
		{"message page", "GET", "/api/waba/messages", 200, `{"messages":[{"id":"1","sender":"1","recipient":"2","user_id":null,"username":null,"type":"text","text":"t","label":null,"foreign_id":"f","price":0,"billable":null,"pricing_category":null,"pricing_type":null,"settled_price":null,"status":"sent","status_time":"2026-11-25T09:00:00Z","wamid":"wamid.1","created":"2026-11-25T09:00:00Z","scheduled":"2026-11-25T09:00:00Z","expires":"2026-11-27T09:00:00Z","error_code":null,"error_text":null}],"next":"1"}`, true},
		{"listed message with a journal", "GET", "/api/waba/messages", 200, `{"messages":[{"id":"1","sender":"1","recipient":"2","user_id":null,"username":null,"type":"text","text":"t","label":null,"foreign_id":"f","price":0,"billable":null,"pricing_category":null,"pricing_type":null,"settled_price":null,"status":"sent","status_time":"2026-11-25T09:00:00Z","wamid":"wamid.1","created":"2026-11-25T09:00:00Z","scheduled":"2026-11-25T09:00:00Z","expires":"2026-11-27T09:00:00Z","error_code":null,"error_text":null,"statuses":[]}],"next":null}`, false},
		{"bad limit", "GET", "/api/waba/messages", 400, `{"error_code":400,"error_message":"limit: must be a number from 1 to 1000, got \"0\""}`, true},
		{"balance", "GET", "/api/balance", 200, `{"amount":99.9265,"currency":"EUR"}`, true},
		{"balance needs no scope", "GET", "/api/balance", 403, `902`, false},
		{"hook created", "POST", "/api/hooks", 200, `{"success":true,"id":1}`, true},
		{"hooks API error", "POST", "/api/hooks", 400, `{"success":false,"code":"400","error_message":"event_type: is required"}`, true},
		{"hooks API error in the messages API's shape", "POST", "/api/hooks", 400, `{"error_code":400,"error_message":"x"}`, false},
		{"hooks", "GET", "/api/hooks", 200, `{"success":true,"hooks":[{"id":"1","target_url":"https://example.com/wa","headers":"","event_type":"all","event_filter":"","request_method":"JSON","enabled":true,"created":"2026-11-25 09:00:00"}]}`, true},
		{"unknown hook", "DELETE", "/api/hooks", 404, `{"success":false,"code":"404","error_message":"no such hook or delivery in this account"}`, true},
		{"dead deliveries", "GET", "/api/hooks/dead", 200, `{"success":true,"deliveries":[{"id":"2","event_id":"owh_2","hook_id":"1","target_url":"https://example.com/wa","event":"wa_mo","msg_id":null,"attempts":1,"last_error":"HTTP 410","created":"2026-11-25 09:00:00"}]}`, true},
		{"replay of a bad id", "POST", "/api/hooks/dead/x/replay", 404, `{"code":404,"message":"Page not found","errors":[]}`, true},
		{"sender of another account", "POST", "/api/admin/accounts/2/senders", 409, `{"error_code":409,"error_message":"the number is a sender of another account; remove it there first"}`, true},
		{"accounts", "GET", "/api/admin/accounts", 200, `[{"id":1,"name":"default","currency":"EUR","balance":100,"signing":false,"created_at":"2026-11-25T09:00:00Z"}]`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := doc.Check(tc.method, tc.path, tc.status, "application/json", []byte(tc.body))
			if (err == nil) != tc.ok {
				t.Fatalf("Check = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestOpenAPIWebhooks checks the webhook examples of docs/webhooks.md
// against the document's webhooks.
func TestOpenAPIWebhooks(t *testing.T) {
	t.Parallel()
	doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"dlr", `{"webhook_event":"dlr","webhook_timestamp":"2026-11-25 09:00:02","data":{"msg_id":"17","status":"DELIVERED","wa_status":"delivered","status_time":"2026-11-25 09:00:02","foreign_id":"order-42","label":"launch","sender":"4915112345678","recipient":"4917612345678","user_id":"DE.1350000000000000001","username":null,"wamid":"wamid.HBgL","channel":"WA","price":0.0735,"billable":true,"pricing_category":"marketing","pricing_type":"regular","settled_price":0.0735,"error_code":null,"error_text":null}}`, true},
		{"dlr with inbound data", `{"webhook_event":"dlr","webhook_timestamp":"2026-11-25 09:00:02","data":{"id":"5","wamid":"wamid.HBgL","sender":"4917612345678","recipient":"4915112345678","time":"2026-11-25 09:01:00","type":"text","text":"Hallo!","profile_name":"Anna","content":{}}}`, false},
		{"wa_mo", `{"webhook_event":"wa_mo","webhook_timestamp":"2026-11-25 09:01:00","data":{"id":"5","wamid":"wamid.HBgL","sender":"4917612345678","recipient":"4915112345678","user_id":"DE.1350000000000000001","username":"anna","time":"2026-11-25 09:01:00","type":"text","text":"Hallo!","profile_name":"Anna","content":{"from":"4917612345678","id":"wamid.HBgL","timestamp":"1764061260","type":"text","text":{"body":"Hallo!"}}}}`, true},
		{"tracking", `{"webhook_event":"tracking","webhook_timestamp":"2026-11-25 09:05:00","data":{"final_url":"https://example.com","sms_id":"17","sms_label":"launch","total_clicks":1,"total_views":1,"tracking_url":"https://s.example/abc","type":"click"}}`, true},
		{"unknown event", `{"webhook_event":"sms_mo","webhook_timestamp":"2026-11-25 09:05:00","data":{}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := doc.CheckWebhook([]byte(tc.body)); (err == nil) != tc.ok {
				t.Fatalf("CheckWebhook = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
