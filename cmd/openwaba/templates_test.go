package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

// TestNamedTemplateSend: a NAMED template takes its values by
// parameter_name in any order, or by position; the response shows the
// rendered text and the sandbox (which checks parameter_name against the
// template) accepts and delivers it.
func TestNamedTemplateSend(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	const want = `"rendered":{"body":"Hi Anna, your order ORD-7 arrives on May 12. Thank you, Anna!","footer":"Questions? Just reply."}`
	for _, body := range []string{
		`{"from":"4915112345678","to":"4917612345678","type":"template","template":"delivery_update","language":"en",
		  "components":{"body":[{"type":"text","parameter_name":"order_id","text":"ORD-7"},
		                        {"type":"text","parameter_name":"delivery_date","text":"May 12"},
		                        {"type":"text","parameter_name":"first_name","text":"Anna"}]}}`,
		`{"from":"4915112345678","to":"4917612345678","type":"template","template":"delivery_update","language":"en",
		  "components":{"body":["Anna","ORD-7","May 12"]}}`,
	} {
		resp := g.send(body)
		msg := resp["messages"].([]any)[0].(map[string]any)
		if text := msg["text"].(string); !strings.Contains(text, want) {
			t.Errorf("text = %s\nwant it to contain %s", text, want)
		}
		if msg["price"] != 0.0456 {
			t.Errorf("price %v, want the utility price 0.0456", msg["price"])
		}
		g.waitStatus(msg["id"].(string), "read")
	}
}

// TestLocationHeaderTemplate: a template with a location header takes the
// location as a header value; the sandbox checks Meta's location parameter
// and delivers it.
func TestLocationHeaderTemplate(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.sandbox.AddTemplate(openwaba.Template{Name: "store_visit", Language: "en", Status: "APPROVED", Category: "MARKETING",
		Components: []openwaba.TemplateComponent{{Type: "HEADER", Format: "LOCATION"}, {Type: "BODY", Text: "See you soon, {{1}}!",
			Example: map[string]any{"body_text": []any{[]any{"Anna"}}}}}})
	if err := g.store.ReplaceTemplates(context.Background(), 1, g.sandbox.Templates()); err != nil {
		t.Fatal(err)
	}
	resp := g.send(`{"from":"4915112345678","to":"4917612345678","type":"template","template":"store_visit","language":"en",
		"components":{"header":[{"type":"location","location":{"latitude":"52.52","longitude":13.405,"name":"Flagship","address":"Unter den Linden 1"}}],
		              "body":["Anna"]}}`)
	msg := resp["messages"].([]any)[0].(map[string]any)
	if text := msg["text"].(string); !strings.Contains(text, `"rendered":{"header":"Flagship, Unter den Linden 1","body":"See you soon, Anna!"}`) {
		t.Errorf("text = %s", text)
	}
	g.waitStatus(msg["id"].(string), "read")
}

// TestTemplateMismatches: every mismatch between a send and its template is
// a 400 naming the component and the counts, and charges nothing.
func TestTemplateMismatches(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ctx := context.Background()
	ts, err := g.store.Templates(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	ts = append(ts, openwaba.Template{AccountID: 1, ID: "9", Name: "draft", Language: "de", Status: "PENDING", Category: "MARKETING",
		Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Entwurf"}}})
	if err := g.store.ReplaceTemplates(ctx, 1, ts); err != nil {
		t.Fatal(err)
	}
	const head = `{"from":"4915112345678","to":"4917612345678","type":"template",`
	tests := []struct{ name, body, msg string }{
		{"not approved", head + `"template":"draft","language":"de"}`,
			"template: draft (de) is PENDING, not APPROVED"},
		{"language not registered", head + `"template":"order_confirmation","language":"fr"}`,
			`language: template "order_confirmation" is not registered in language "fr"; it is in: de, en`},
		{"too many body values", head + `"template":"hello_world","language":"en","components":{"body":["x"]}}`,
			"components.body: template hello_world (en) has 0 placeholders, got 1 values"},
		{"url suffix missing", head + `"template":"order_confirmation","language":"en","components":{"body":["Max","ORD-1"]}}`,
			"components.buttons"},
		{"media header without URL", head + `"template":"product_available","language":"en","components":{"body":["Model X"]}}`,
			"components.header: template product_available (en) has a image header that needs 1 URL, got 0 values"},
		{"text header count", head + `"template":"appointment_reminder","language":"en","components":{"body":["a","b","c","d"],"buttons":[{"type":"button","sub_type":"url","parameters":[{"type":"text","text":"x"}]}]}}`,
			"components.header: template appointment_reminder (en) has 1 placeholders, got 0 values"},
		{"named parameter unknown", head + `"template":"delivery_update","language":"en","components":{"body":[{"type":"text","parameter_name":"first_name","text":"A"},{"type":"text","parameter_name":"order","text":"B"},{"type":"text","parameter_name":"delivery_date","text":"C"}]}}`,
			"components.body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do("POST", "/api/waba/messages", tc.body)
			m := r.JSON(t)
			msg, _ := m["error_message"].(string)
			if r.Status != 400 || !strings.HasPrefix(msg, tc.msg) {
				t.Fatalf("got %d %s\nwant 400 starting with %q", r.Status, r.Body, tc.msg)
			}
		})
	}
	acct, err := g.store.Account(ctx, 1)
	if err != nil || acct.Balance != 100*openwaba.MicrosPerUnit {
		t.Fatalf("balance %v (%v): a refused template send was charged", acct.Balance, err)
	}
}

// TestTemplatesEndpoint: GET /api/waba/templates lists the account's
// templates with the placeholders each component needs.
func TestTemplatesEndpoint(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	var all struct {
		Templates []struct {
			Name, Language, Category, Status string
			ParameterFormat                  string `json:"parameter_format"`
			Placeholders                     struct {
				Header, Body []string
				Buttons      [][]string
			}
		}
	}
	r := g.do("GET", "/api/waba/templates", "")
	if r.Status != 200 {
		t.Fatalf("GET templates: %d %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Templates) != 10 {
		t.Fatalf("%d templates, want the sandbox's 10", len(all.Templates))
	}
	r = g.do("GET", "/api/waba/templates?name=appointment_reminder&language=de", "")
	if err := json.Unmarshal(r.Body, &all); err != nil || len(all.Templates) != 1 {
		t.Fatalf("filtered: %v %s", err, r.Body)
	}
	got := all.Templates[0]
	if got.Category != "UTILITY" || got.Status != "APPROVED" || got.ParameterFormat != "POSITIONAL" ||
		strings.Join(got.Placeholders.Header, ",") != "1" || strings.Join(got.Placeholders.Body, ",") != "1,2,3,4" ||
		len(got.Placeholders.Buttons) != 1 || strings.Join(got.Placeholders.Buttons[0], ",") != "1" {
		t.Errorf("appointment_reminder/de = %+v", got)
	}
	if r := g.do("GET", "/api/waba/templates", "", "X-Api-Key", "wrong"); r.Status != 401 || string(r.Body) != "900" {
		t.Errorf("wrong key: %d %s", r.Status, r.Body)
	}
}

// TestTemplatesCommand: templates sync, list and show on the data dir.
func TestTemplatesCommand(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := g.cfg.DataDir
	if err := g.store.ReplaceTemplates(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, dir, "templates", "sync")
	if err != nil || !strings.Contains(out, "account 1: 10 templates synced") {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	out, err = runCLI(t, dir, "templates", "list")
	if err != nil || !hasRow(out, "delivery_update en UTILITY APPROVED NAMED") || strings.Count(out, "\n") != 11 {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = runCLI(t, dir, "templates", "show", "product_available", "--language", "en")
	if err != nil || !strings.HasPrefix(out, "product_available (en): MARKETING, APPROVED") || !strings.Contains(out, "send:    --body 1\n") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	out, err = runCLI(t, dir, "templates", "show", "product_available", "--language", "en", "--json")
	var shown struct{ Templates []map[string]any }
	if err != nil || json.Unmarshal([]byte(out), &shown) != nil || len(shown.Templates) != 1 || shown.Templates[0]["category"] != "MARKETING" {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	if out, err = runCLI(t, dir, "templates", "show", "nope"); err == nil || !strings.Contains(err.Error(), `no template "nope"`) {
		t.Fatalf("show nope: %v %s", err, out)
	}
}

// hasRow reports whether a table printed by the CLI has a line whose
// columns are those of row (separated by single spaces).
func hasRow(table, row string) bool {
	for _, line := range strings.Split(table, "\n") {
		if strings.Join(strings.Fields(line), " ") == row {
			return true
		}
	}
	return false
}
