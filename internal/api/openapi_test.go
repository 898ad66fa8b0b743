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
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/api/openapitest"
)

// registeredRoutes reads the mux patterns of the package's sources
// (mux.Handle and mux.HandleFunc with a literal pattern), so that a route
// added anywhere in the package must be documented.
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
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			pattern, _ := strconv.Unquote(lit.Value)
			routes = append(routes, pattern)
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
