package openwaba_test

import (
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

func body(text string, examples ...any) openwaba.TemplateComponent {
	c := openwaba.TemplateComponent{Type: "BODY", Text: text}
	if len(examples) > 0 {
		c.Example = map[string]any{"body_text": []any{examples}}
	}
	return c
}

func TestTemplateDraftCheck(t *testing.T) {
	t.Parallel()
	ok := openwaba.TemplateDraft{Name: "order_update", Language: "de", Category: "UTILITY",
		Components: []openwaba.TemplateComponent{body("Hallo {{1}}, Ihre Bestellung {{2}} ist unterwegs.", "Max", "ORD-1")}}
	with := func(f func(d *openwaba.TemplateDraft)) openwaba.TemplateDraft {
		d := ok
		d.Components = append([]openwaba.TemplateComponent(nil), ok.Components...)
		f(&d)
		return d
	}
	comps := func(cs ...openwaba.TemplateComponent) func(d *openwaba.TemplateDraft) {
		return func(d *openwaba.TemplateDraft) { d.Components = cs }
	}
	buttons := func(bs ...openwaba.TemplateButtonDef) func(d *openwaba.TemplateDraft) {
		return comps(body("Hallo {{1}}, danke.", "Max"), openwaba.TemplateComponent{Type: "BUTTONS", Buttons: bs})
	}
	tests := []struct {
		name  string
		draft openwaba.TemplateDraft
		field string // "": valid
		rule  string
	}{
		{"valid", ok, "", ""},
		{"full", with(comps(
			openwaba.TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "Bestellung {{1}}", Example: map[string]any{"header_text": []any{"ORD-1"}}},
			body("Hallo {{1}}, danke!", "Max"),
			openwaba.TemplateComponent{Type: "FOOTER", Text: "ACME GmbH"},
			openwaba.TemplateComponent{Type: "BUTTONS", Buttons: []openwaba.TemplateButtonDef{
				{Type: "URL", Text: "Ansehen", URL: "https://example.com/o/{{1}}", Example: []string{"https://example.com/o/1"}},
				{Type: "QUICK_REPLY", Text: "Stopp"}, {Type: "PHONE_NUMBER", Text: "Anrufen", PhoneNumber: "4930123456"}}})), "", ""},
		{"named", with(func(d *openwaba.TemplateDraft) {
			d.ParameterFormat = "NAMED"
			d.Components = []openwaba.TemplateComponent{{Type: "BODY", Text: "Hi {{first_name}}, see you.",
				Example: map[string]any{"body_text_named_params": []any{map[string]any{"param_name": "first_name", "example": "Max"}}}}}
		}), "", ""},
		{"no name", with(func(d *openwaba.TemplateDraft) { d.Name = "" }), "name", "required"},
		{"capital name", with(func(d *openwaba.TemplateDraft) { d.Name = "Order_Update" }), "name", "lowercase"},
		{"long name", with(func(d *openwaba.TemplateDraft) { d.Name = strings.Repeat("a", 513) }), "name", "512"},
		{"bad language", with(func(d *openwaba.TemplateDraft) { d.Language = "German" }), "language", "code"},
		{"authentication", with(func(d *openwaba.TemplateDraft) { d.Category = "AUTHENTICATION" }), "category", "WhatsApp Manager"},
		{"no body", with(comps(openwaba.TemplateComponent{Type: "FOOTER", Text: "x"})), "components", "BODY is required"},
		{"two bodies", with(comps(body("a"), body("b"))), "components[1].type", "at most one BODY"},
		{"long body", with(comps(body(strings.Repeat("x", 1025)))), "components[0].text", "1024"},
		{"starts with a placeholder", with(comps(body("{{1}}, hallo", "Max"))), "components[0].text", "start or end"},
		{"ends with a placeholder", with(comps(body("Hallo {{1}}", "Max"))), "components[0].text", "start or end"},
		{"gap in placeholders", with(comps(body("Hallo {{1}} und {{3}}.", "a", "b"))), "components[0].text", "in order"},
		{"missing examples", with(comps(body("Hallo {{1}} und {{2}}.", "a"))), "components[0].example", "2 example values"},
		{"tabs", with(comps(body("Hallo\tWelt"))), "components[0].text", "tabs"},
		{"footer placeholder", with(comps(body("Hallo."), openwaba.TemplateComponent{Type: "FOOTER", Text: "{{1}}"})), "components[1].text", "no placeholders"},
		{"two header placeholders", with(comps(openwaba.TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "{{1}} {{2}}"}, body("x"))), "components[0].text", "at most one placeholder"},
		{"image header without handle", with(comps(openwaba.TemplateComponent{Type: "HEADER", Format: "IMAGE"}, body("x"))), "components[0].example", "header_handle"},
		{"long button text", with(buttons(openwaba.TemplateButtonDef{Type: "QUICK_REPLY", Text: strings.Repeat("b", 26)})), "components[1].buttons[0].text", "25"},
		{"placeholder in the middle of a URL", with(buttons(openwaba.TemplateButtonDef{Type: "URL", Text: "Go", URL: "https://x.io/{{1}}/y", Example: []string{"https://x.io/1/y"}})), "components[1].buttons[0].url", "end"},
		{"URL without example", with(buttons(openwaba.TemplateButtonDef{Type: "URL", Text: "Go", URL: "https://x.io/{{1}}"})), "components[1].buttons[0].example", "example"},
		{"not a URL", with(buttons(openwaba.TemplateButtonDef{Type: "URL", Text: "Go", URL: "ftp://x.io"})), "components[1].buttons[0].url", "http"},
		{"three URL buttons", with(buttons(openwaba.TemplateButtonDef{Type: "URL", Text: "a", URL: "https://x.io"},
			openwaba.TemplateButtonDef{Type: "URL", Text: "b", URL: "https://x.io"}, openwaba.TemplateButtonDef{Type: "URL", Text: "c", URL: "https://x.io"})), "components[1].buttons[2].type", "at most 2"},
		{"eleven buttons", with(buttons(func() []openwaba.TemplateButtonDef {
			var bs []openwaba.TemplateButtonDef
			for range 11 {
				bs = append(bs, openwaba.TemplateButtonDef{Type: "QUICK_REPLY", Text: "x"})
			}
			return bs
		}()...)), "components[1].buttons", "1 to 10"},
		{"named placeholder in a positional template", with(comps(body("Hi {{name}}, ok."))), "components[0].text", "NAMED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.draft.Check()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Check() = %v, want valid", err)
				}
				return
			}
			de, isDraft := err.(*openwaba.DraftError)
			if !isDraft || de.Field != tt.field || !strings.Contains(de.Msg, tt.rule) {
				t.Fatalf("Check() = %v, want %s: ...%s...", err, tt.field, tt.rule)
			}
		})
	}
}
