package templates_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// examples are the values each component's registered example gives: what
// Meta shows reviewers, and a send that must pass the checks.
func examples(t openwaba.Template) templates.Values {
	var v templates.Values
	text := func(s string) openwaba.TemplateParam { return openwaba.TemplateParam{Type: "text", Text: s} }
	for _, c := range t.Components {
		switch c.Type {
		case "HEADER":
			for _, key := range []string{"header_text", "header_handle"} {
				if xs, ok := c.Example[key].([]any); ok {
					for _, x := range xs {
						v.Header = append(v.Header, text(x.(string)))
					}
				}
			}
		case "BODY":
			if rows, ok := c.Example["body_text"].([]any); ok && len(rows) > 0 {
				for _, x := range rows[0].([]any) {
					v.Body = append(v.Body, text(x.(string)))
				}
			}
			if named, ok := c.Example["body_text_named_params"].([]any); ok {
				// Given in reverse, to show that names, not positions, count.
				for i := len(named) - 1; i >= 0; i-- {
					p := named[i].(map[string]any)
					v.Body = append(v.Body, openwaba.TemplateParam{Type: "text", Name: p["param_name"].(string), Text: p["example"].(string)})
				}
			}
		case "BUTTONS":
			for i, b := range c.Buttons {
				if len(b.Example) > 0 {
					v.Buttons = append(v.Buttons, templates.ButtonValue{SubType: "url", Index: i, Parameters: []openwaba.TemplateParam{text(b.Example[0])}})
				}
			}
		}
	}
	return v
}

// TestRenderGolden renders every built-in template of the sandbox — the
// spec's templates and a named-parameter one — with its registered
// examples: the typed parameters sent to Meta and the text shown back.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for _, tpl := range sandbox.New(sandbox.Config{}).Templates() {
		name := tpl.Name + "_" + tpl.Language
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			send, err := templates.Prepare(tpl, examples(tpl))
			if err != nil {
				t.Fatalf("Prepare with the template's own examples: %v", err)
			}
			var got bytes.Buffer
			enc := json.NewEncoder(&got)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(send); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs:\n got %s\nwant %s", path, got.Bytes(), want)
			}
		})
	}
}
