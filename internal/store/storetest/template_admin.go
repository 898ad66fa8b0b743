package storetest

import (
	"testing"

	"github.com/openwaba/openwaba"
)

// testTemplatePutDelete: templates created through the API are stored one
// at a time, next to the synced ones; deleting by name removes one
// language or all of them, and only the account's.
func testTemplatePutDelete(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	synced := template(a.ID, "hello", "en", "APPROVED")
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{synced}), nil)
	de := template(a.ID, "promo", "de", "PENDING")
	en := template(a.ID, "promo", "en", "PENDING")
	other := template(b.ID, "promo", "de", "APPROVED")
	for _, tp := range []openwaba.Template{de, en, other} {
		wantErr(t, "PutTemplate", s.PutTemplate(t.Context(), tp), nil)
	}
	all, err := s.Templates(t.Context(), a.ID)
	wantErr(t, "Templates", err, nil)
	equal(t, "templates", all, []openwaba.Template{synced, de, en})

	// Edited: the same name and language is replaced.
	de.Status, de.Components = "PENDING", de.Components[1:]
	wantErr(t, "PutTemplate again", s.PutTemplate(t.Context(), de), nil)
	got, err := s.Template(t.Context(), a.ID, "promo", "de")
	wantErr(t, "Template", err, nil)
	equal(t, "edited", got, de)

	n, err := s.DeleteTemplates(t.Context(), a.ID, "promo", "de")
	wantErr(t, "DeleteTemplates de", err, nil)
	if n != 1 {
		t.Errorf("deleted %d, want 1", n)
	}
	wantErr(t, "PutTemplate", s.PutTemplate(t.Context(), de), nil)
	n, err = s.DeleteTemplates(t.Context(), a.ID, "promo", "")
	wantErr(t, "DeleteTemplates all", err, nil)
	if n != 2 {
		t.Errorf("deleted %d, want both languages", n)
	}
	_, err = s.DeleteTemplates(t.Context(), a.ID, "promo", "")
	wantErr(t, "DeleteTemplates of none", err, openwaba.ErrNotFound)
	all, _ = s.Templates(t.Context(), a.ID)
	equal(t, "after deleting", all, []openwaba.Template{synced})
	if got, err := s.Template(t.Context(), b.ID, "promo", "de"); err != nil || got.Status != "APPROVED" {
		t.Errorf("the other account's template: %+v, %v", got, err)
	}
}
