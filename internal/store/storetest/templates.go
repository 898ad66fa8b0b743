package storetest

import (
	"testing"

	"github.com/openwaba/openwaba"
)

var templateTests = []test{
	{"ReplaceAndGet", testTemplates},
	{"ReplaceIsPerAccount", testTemplateIsolation},
	{"ListedInByteOrder", testTemplatesByteOrder},
	{"PutAndDelete", testTemplatePutDelete},
}

func template(accountID int64, name, lang, status string) openwaba.Template {
	return openwaba.Template{
		AccountID:       accountID,
		ID:              "tpl-" + name + "-" + lang,
		Name:            name,
		Language:        lang,
		Category:        "UTILITY",
		Status:          status,
		ParameterFormat: "POSITIONAL",
		Components: []openwaba.TemplateComponent{
			{Type: "HEADER", Format: "TEXT", Text: "Order"},
			{Type: "BODY", Text: "Hi {{1}}", Example: map[string]any{"body_text": []any{[]any{"Alice"}}}},
			{Type: "BUTTONS", Buttons: []openwaba.TemplateButtonDef{
				{Type: "URL", Text: "Track", URL: "https://example.com/{{1}}", Example: []string{"https://example.com/1"}},
			}},
		},
		UpdatedAt: t0,
	}
}

func testTemplates(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	helloEN := template(a.ID, "hello", "en", "APPROVED")
	helloDE := template(a.ID, "hello", "de", "APPROVED")
	promoEN := template(a.ID, "promo", "en", "PENDING")
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID,
		[]openwaba.Template{promoEN, helloEN, helloDE}), nil)

	got, err := s.Template(t.Context(), a.ID, "hello", "de")
	wantErr(t, "Template", err, nil)
	equal(t, "Template", got, helloDE)
	all, err := s.Templates(t.Context(), a.ID)
	wantErr(t, "Templates", err, nil)
	equal(t, "Templates (by name, language)", all, []openwaba.Template{helloDE, helloEN, promoEN})
	_, err = s.Template(t.Context(), a.ID, "hello", "fr")
	wantErr(t, "Template of an unknown language", err, openwaba.ErrNotFound)

	// Replacing drops what the new set does not have.
	promoEN.Status = "APPROVED"
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{promoEN}), nil)
	all, err = s.Templates(t.Context(), a.ID)
	wantErr(t, "Templates", err, nil)
	equal(t, "Templates after replacing", all, []openwaba.Template{promoEN})
	_, err = s.Template(t.Context(), a.ID, "hello", "en")
	wantErr(t, "Template that was replaced away", err, openwaba.ErrNotFound)

	wantErr(t, "ReplaceTemplates with none", s.ReplaceTemplates(t.Context(), a.ID, nil), nil)
	all, err = s.Templates(t.Context(), a.ID)
	wantErr(t, "Templates", err, nil)
	if len(all) != 0 {
		t.Errorf("%d templates after replacing with none", len(all))
	}
}

func testTemplateIsolation(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	ta := template(a.ID, "hello", "en", "APPROVED")
	tb := template(b.ID, "hello", "en", "REJECTED")
	wantErr(t, "ReplaceTemplates a", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{ta}), nil)
	wantErr(t, "ReplaceTemplates b", s.ReplaceTemplates(t.Context(), b.ID, []openwaba.Template{tb}), nil)

	got, err := s.Template(t.Context(), a.ID, "hello", "en")
	wantErr(t, "Template", err, nil)
	equal(t, "account a's template after b replaced its own", got, ta)
	got, err = s.Template(t.Context(), b.ID, "hello", "en")
	wantErr(t, "Template", err, nil)
	equal(t, "account b's template", got, tb)

	wantErr(t, "ReplaceTemplates b with none", s.ReplaceTemplates(t.Context(), b.ID, nil), nil)
	_, err = s.Template(t.Context(), b.ID, "hello", "en")
	wantErr(t, "Template of b", err, openwaba.ErrNotFound)
	_, err = s.Template(t.Context(), a.ID, "hello", "en")
	wantErr(t, "Template of a after b's were removed", err, nil)
}
