package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

func tplMsg(name, lang string, components ...any) string {
	t := map[string]any{"name": name, "language": map[string]any{"code": lang}}
	if len(components) > 0 {
		t["components"] = components
	}
	return msg("template", t)
}

func comp(typ string, params ...any) map[string]any {
	return map[string]any{"type": typ, "parameters": params}
}

func button(subType string, index any, params ...any) map[string]any {
	return map[string]any{"type": "button", "sub_type": subType, "index": index, "parameters": params}
}

func text(s string) map[string]any { return map[string]any{"type": "text", "text": s} }

func TestTemplateSends(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.sb.AddTemplate(openwaba.Template{
		Name: "named_greeting", Language: "en", Status: "APPROVED", Category: "UTILITY", ParameterFormat: "NAMED",
		Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Hi {{first_name}}, your code is {{code}}."}},
	})
	e.sb.AddTemplate(openwaba.Template{
		Name: "pending_one", Language: "en", Status: "PENDING", Category: "MARKETING",
		Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Soon"}},
	})
	named := func(name, value string) map[string]any {
		return map[string]any{"type": "text", "parameter_name": name, "text": value}
	}
	image := map[string]any{"type": "image", "image": map[string]any{"link": "https://x.io/p.jpg"}}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   int
		wantDetail string
	}{
		{"hello_world", tplMsg("hello_world", "de"), 200, 0, ""},
		{"order_confirmation", tplMsg("order_confirmation", "en", comp("body", text("Anna"), text("ORD-1")), button("url", "0", text("ORD-1"))), 200, 0, ""},
		{"index as number", tplMsg("order_confirmation", "en", comp("body", text("Anna"), text("ORD-1")), button("url", 0, text("ORD-1"))), 200, 0, ""},
		{"appointment_reminder", tplMsg("appointment_reminder", "de", comp("header", text("Terminbestätigung")),
			comp("body", text("Anna"), text("12.05."), text("10:00"), text("Dr. Weber")), button("url", "0", text("A-1"))), 200, 0, ""},
		{"product_available", tplMsg("product_available", "en", comp("header", image), comp("body", text("Model X")),
			button("quick_reply", "0", map[string]any{"type": "payload", "payload": "BUY-X"})), 200, 0, ""},
		{"quick reply payload is optional", tplMsg("product_available", "en", comp("header", image), comp("body", text("Model X"))), 200, 0, ""},
		{"named", tplMsg("named_greeting", "en", comp("body", named("code", "1234"), named("first_name", "Anna"))), 200, 0, ""},

		{"unknown template", tplMsg("no_such_template", "en"), 404, 132001, "no_such_template"},
		{"unknown language", tplMsg("hello_world", "fr"), 404, 132001, "fr"},
		{"language not exact", tplMsg("hello_world", "en_US"), 404, 132001, "en_US"},
		{"not approved", tplMsg("pending_one", "en"), 404, 132001, "PENDING"},
		{"no language", msg("template", map[string]any{"name": "hello_world"}), 400, 100, "template.language.code"},

		{"body params missing", tplMsg("order_confirmation", "en", button("url", "0", text("ORD-1"))), 400, 132000, "body"},
		{"body one param short", tplMsg("order_confirmation", "en", comp("body", text("Anna")), button("url", "0", text("ORD-1"))), 400, 132000, "body"},
		{"body param too many", tplMsg("hello_world", "en", comp("body", text("extra"))), 400, 132000, "body"},
		{"header param missing", tplMsg("appointment_reminder", "en", comp("body", text("a"), text("b"), text("c"), text("d")), button("url", "0", text("A-1"))), 400, 132000, "header"},
		{"header on headerless", tplMsg("hello_world", "en", comp("header", text("x"))), 400, 132000, "header"},
		{"url button param missing", tplMsg("order_confirmation", "en", comp("body", text("Anna"), text("ORD-1"))), 400, 132000, "button[0]"},
		{"image header given text", tplMsg("product_available", "en", comp("header", text("x")), comp("body", text("Model X"))), 400, 132012, "header"},
		{"image header bad link", tplMsg("product_available", "en", comp("header", map[string]any{"type": "image", "image": map[string]any{"link": "nope"}}), comp("body", text("Model X"))), 400, 131009, "link"},
		{"button index out of range", tplMsg("hello_world", "en", button("url", "3", text("x"))), 400, 131009, "index"},
		{"button sub_type wrong", tplMsg("order_confirmation", "en", comp("body", text("Anna"), text("ORD-1")), button("quick_reply", "0", text("x"))), 400, 131009, "sub_type"},
		{"param with newline", tplMsg("order_confirmation", "en", comp("body", text("An\nna"), text("ORD-1")), button("url", "0", text("ORD-1"))), 400, 132018, "body.parameters[0]"},
		{"empty param", tplMsg("order_confirmation", "en", comp("body", text(""), text("ORD-1")), button("url", "0", text("ORD-1"))), 400, 100, "body.parameters[0].text"},
		{"named without parameter_name", tplMsg("named_greeting", "en", comp("body", text("Anna"), text("1234"))), 400, 100, "parameter_name"},
		{"named wrong name", tplMsg("named_greeting", "en", comp("body", named("first_name", "Anna"), named("last_name", "B"))), 400, 131009, "last_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.send(t, tt.body)
			if r.Status != tt.wantStatus || r.Code != tt.wantCode {
				t.Fatalf("got HTTP %d code %d, want %d code %d: %v", r.Status, r.Code, tt.wantStatus, tt.wantCode, r.Body)
			}
			if !strings.Contains(r.Details, tt.wantDetail) {
				t.Errorf("details %q lack %q", r.Details, tt.wantDetail)
			}
		})
	}
}

func TestBuiltinTemplates(t *testing.T) {
	t.Parallel()
	ts := New(Config{}).Templates()
	if len(ts) != 10 {
		t.Fatalf("%d built-in templates, want 10", len(ts))
	}
	ids := map[string]bool{}
	for _, tpl := range ts {
		wantFormat := "POSITIONAL"
		if tpl.Name == "delivery_update" {
			wantFormat = "NAMED"
		}
		if tpl.Status != "APPROVED" || tpl.ParameterFormat != wantFormat || tpl.ID == "" || ids[tpl.ID] {
			t.Errorf("%s/%s: status %s format %s id %q", tpl.Name, tpl.Language, tpl.Status, tpl.ParameterFormat, tpl.ID)
		}
		ids[tpl.ID] = true
		if tpl.Language != "de" && tpl.Language != "en" {
			t.Errorf("%s: language %s", tpl.Name, tpl.Language)
		}
	}
	find := func(name, lang string) openwaba.Template {
		for _, tpl := range ts {
			if tpl.Name == name && tpl.Language == lang {
				return tpl
			}
		}
		t.Fatalf("no %s/%s", name, lang)
		return openwaba.Template{}
	}
	tests := []struct {
		name, lang, comp, want string
	}{
		{"hello_world", "de", "BODY", "Hallo Welt!"},
		{"hello_world", "en", "BODY", "Hello World!"},
		{"order_confirmation", "de", "BODY", "Hallo {{1}}, vielen Dank für Ihre Bestellung {{2}}. Wir melden uns, sobald sie versandt ist."},
		{"appointment_reminder", "en", "HEADER", "{{1}}"},
		{"appointment_reminder", "de", "FOOTER", "Antworten Sie STOP, um abzusagen."},
		{"product_available", "en", "BODY", "Good news! {{1}} is available again."},
	}
	for _, tt := range tests {
		c, ok := find(tt.name, tt.lang).Component(tt.comp)
		if !ok || c.Text != tt.want {
			t.Errorf("%s/%s %s = %q, want %q", tt.name, tt.lang, tt.comp, c.Text, tt.want)
		}
	}
	if b, _ := find("order_confirmation", "en").Component("BUTTONS"); len(b.Buttons) != 1 || b.Buttons[0].URL != "https://example.com/orders/{{1}}" || b.Buttons[0].Text != "View order" {
		t.Errorf("order_confirmation buttons = %+v", b.Buttons)
	}
	if h, _ := find("product_available", "de").Component("HEADER"); h.Format != "IMAGE" {
		t.Errorf("product_available header = %+v", h)
	}
	if b, _ := find("product_available", "de").Component("BUTTONS"); b.Buttons[0].Type != "QUICK_REPLY" || b.Buttons[0].Text != "Jetzt kaufen" {
		t.Errorf("product_available buttons = %+v", b.Buttons)
	}

	// Templates returns a copy: changing it leaves the sandbox alone.
	sb := New(Config{})
	mine := sb.Templates()
	mine[0].Components[0].Text = "changed"
	if sb.Templates()[0].Components[0].Text == "changed" {
		t.Error("Templates shares state with the caller")
	}
}

func TestTemplatesEndpointPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	next := "/v23.0/" + testWABA + "/message_templates?limit=3"
	var names []string
	pages := 0
	for next != "" {
		r := e.do(t, http.MethodGet, next, testToken, "")
		if r.Status != http.StatusOK {
			t.Fatalf("page %d: %d %v", pages, r.Status, r.Body)
		}
		pages++
		for _, d := range r.Body["data"].([]any) {
			m := d.(map[string]any)
			names = append(names, m["name"].(string)+"/"+m["language"].(string))
		}
		paging := r.Body["paging"].(map[string]any)
		if c := paging["cursors"].(map[string]any); c["after"] == "" || c["before"] == "" {
			t.Errorf("cursors = %v", c)
		}
		next = ""
		if n, ok := paging["next"].(string); ok {
			u, err := url.Parse(n)
			if err != nil || u.Scheme+"://"+u.Host != e.srv.URL {
				t.Fatalf("paging.next %q is not an absolute URL of the sandbox %s", n, e.srv.URL)
			}
			next = u.RequestURI()
		}
	}
	if pages != 4 || len(names) != 10 {
		t.Fatalf("%d pages with %v, want 4 pages with 10 templates", pages, names)
	}
	var want []string
	for _, tpl := range e.sb.Templates() {
		want = append(want, tpl.Name+"/"+tpl.Language)
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("paged %v, want %v", names, want)
	}

	r := e.do(t, http.MethodGet, "/v23.0/"+testWABA+"/message_templates?fields=name,status&name=hello_world", testToken, "")
	data := r.Body["data"].([]any)
	if len(data) != 2 {
		t.Fatalf("name filter: %v", data)
	}
	keys := make([]string, 0)
	for k := range data[0].(map[string]any) {
		keys = append(keys, k)
	}
	if len(keys) != 3 {
		t.Errorf("fields=name,status gave keys %v, want id, name, status", keys)
	}
	if _, ok := r.Body["paging"].(map[string]any)["next"]; ok {
		t.Error("last page has paging.next")
	}

	r = e.do(t, http.MethodGet, "/v23.0/"+testWABA+"/message_templates?limit=1&fields=components&name=order_confirmation", testToken, "")
	raw, _ := json.Marshal(r.Body["data"].([]any)[0].(map[string]any)["components"])
	var comps []openwaba.TemplateComponent
	if err := json.Unmarshal(raw, &comps); err != nil || len(comps) != 2 || comps[0].Type != "BODY" || comps[0].Example["body_text"] == nil {
		t.Errorf("components in Meta's shape: %s", raw)
	}

	if r := e.do(t, http.MethodGet, "/v23.0/"+testWABA+"/message_templates?after=!!", testToken, ""); r.Code != 100 {
		t.Errorf("bad cursor: %v", r.Body)
	}
}
