package sandbox

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// TestManagementWebhooks: what the sandbox posts for each management
// change is what the adapter reads from Meta's webhooks: the two are
// written independently, from Meta's reference.
func TestManagementWebhooks(t *testing.T) {
	t.Parallel()
	expires := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		do       func(s *Sandbox) error
		field    string
		health   *openwaba.HealthReport
		template *openwaba.TemplateReport
	}{
		{"flagged", func(s *Sandbox) error {
			return s.NumberQuality(context.Background(), testDisplay, "FLAGGED", "TIER_2K")
		},
			"phone_number_quality_update", &openwaba.HealthReport{Field: "phone_number_quality_update", Number: digits(testDisplay), Event: "FLAGGED", MessagingLimit: "TIER_2K"}, nil},
		{"restricted", func(s *Sandbox) error {
			return s.AccountUpdate(context.Background(), testDisplay, AccountChange{Event: "ACCOUNT_RESTRICTION",
				Restrictions: []openwaba.Restriction{{Type: openwaba.RestrictBusinessInitiated, Expires: expires}}})
		}, "account_update", &openwaba.HealthReport{Field: "account_update", Number: digits(testDisplay), Event: "ACCOUNT_RESTRICTION",
			Restrictions: []openwaba.Restriction{{Type: openwaba.RestrictBusinessInitiated, Expires: expires}}}, nil},
		{"banned account", func(s *Sandbox) error {
			return s.AccountUpdate(context.Background(), testDisplay, AccountChange{Event: "DISABLED_UPDATE", BanState: "DISABLE", Account: true})
		}, "account_update", &openwaba.HealthReport{Field: "account_update", Event: "DISABLED_UPDATE", BanState: "DISABLE"}, nil},
		{"paused", func(s *Sandbox) error {
			return s.ChangeTemplate(context.Background(), testDisplay, "hello_world", "en", TemplateChange{Status: "PAUSED", Reason: "paused for 3 hours"})
		}, "message_template_status_update", nil, &openwaba.TemplateReport{Field: "message_template_status_update", Name: "hello_world", Language: "en",
			Event: "PAUSED", Category: "MARKETING", Reason: "paused for 3 hours"}},
		{"re-categorised", func(s *Sandbox) error {
			return s.ChangeTemplate(context.Background(), testDisplay, "hello_world", "en", TemplateChange{Category: "UTILITY"})
		}, "template_category_update", nil, &openwaba.TemplateReport{Field: "template_category_update", Name: "hello_world", Language: "en",
			Category: "UTILITY", PreviousCategory: "MARKETING"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			if err := tt.do(e.sb); err != nil {
				t.Fatal(err)
			}
			ev := e.rcv.next(t)
			if ev.Status != "field:"+tt.field {
				t.Fatalf("webhook of %s, want %s", ev.Status, tt.field)
			}
			n, err := meta.ParseWebhook(ev.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if tt.health != nil {
				if len(n.Health) != 1 {
					t.Fatalf("parsed %+v", n)
				}
				got := n.Health[0]
				if got.WABAID != testWABA || got.At.IsZero() {
					t.Errorf("WABA %s at %v", got.WABAID, got.At)
				}
				got.WABAID, got.At = "", time.Time{}
				w := *tt.health
				if got.Number != w.Number || got.Event != w.Event || got.MessagingLimit != w.MessagingLimit || got.BanState != w.BanState ||
					len(got.Restrictions) != len(w.Restrictions) || (len(w.Restrictions) == 1 && !got.Restrictions[0].Expires.Equal(w.Restrictions[0].Expires)) {
					t.Errorf("parsed %+v, want %+v", got, w)
				}
			}
			if tt.template != nil {
				if len(n.Templates) != 1 {
					t.Fatalf("parsed %+v", n)
				}
				got := n.Templates[0]
				if got.ID == "" {
					t.Error("no template id")
				}
				got.WABAID, got.At, got.ID = "", time.Time{}, ""
				if got != *tt.template {
					t.Errorf("parsed\n %+v\nwant %+v", got, *tt.template)
				}
			}
		})
	}
}

func TestManagementChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, err := range []error{
		e.sb.NumberQuality(ctx, testDisplay, "PURPLE", ""),
		e.sb.AccountUpdate(ctx, testDisplay, AccountChange{Event: "DISABLED_UPDATE"}),
		e.sb.ChangeTemplate(ctx, testDisplay, "hello_world", "en", TemplateChange{}),
		e.sb.ChangeTemplate(ctx, testDisplay, "hello_world", "en", TemplateChange{Quality: "PINK"}),
	} {
		if !errors.Is(err, ErrInvalidChange) {
			t.Errorf("err = %v, want ErrInvalidChange", err)
		}
	}
	if err := e.sb.ChangeTemplate(ctx, testDisplay, "no_such", "en", TemplateChange{Status: "PAUSED"}); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("err = %v, want ErrUnknownTemplate", err)
	}
	if err := e.sb.NumberQuality(ctx, "+49 30 1234567", "FLAGGED", ""); !errors.Is(err, ErrUnknownNumber) {
		t.Errorf("err = %v, want ErrUnknownNumber", err)
	}
}

// TestTemplateManagementAPI: create, review, edit and delete as Meta's
// management API answers them.
func TestTemplateManagementAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	const draft = `{"name":"promo_autumn","language":"de","category":"MARKETING","components":[{"type":"BODY","text":"Herbst!"}]}`
	r := e.do(t, http.MethodPost, "/v23.0/"+testWABA+"/message_templates", testToken, draft)
	id, _ := r.Body["id"].(string)
	if r.Status != 200 || r.Body["status"] != "PENDING" || id == "" {
		t.Fatalf("create: %d %v", r.Status, r.Body)
	}
	if ev := e.rcv.next(t); ev.Status != "field:message_template_status_update" {
		t.Fatalf("review webhook %s", ev.Status)
	}
	if tpl, _ := e.sb.template("promo_autumn", "de"); tpl.Status != "APPROVED" {
		t.Errorf("after the review: %s", tpl.Status)
	}
	if r := e.do(t, http.MethodPost, "/v23.0/"+testWABA+"/message_templates", testToken, draft); r.Code != 100 {
		t.Errorf("duplicate: %d %v", r.Status, r.Body)
	}
	if r := e.do(t, http.MethodPost, "/v23.0/"+id, testToken, `{"components":[{"type":"BODY","text":"Goldener Herbst!"}]}`); r.Status != 200 || r.Body["success"] != true {
		t.Errorf("edit: %d %v", r.Status, r.Body)
	}
	e.rcv.next(t) // reviewed again
	if tpl, _ := e.sb.template("promo_autumn", "de"); tpl.Status != "APPROVED" || tpl.Components[0].Text != "Goldener Herbst!" {
		t.Errorf("after the edit: %+v", tpl)
	}
	r = e.do(t, http.MethodPost, "/v23.0/"+testWABA+"/message_templates", testToken,
		`{"name":"reject_this","language":"de","category":"MARKETING","components":[{"type":"BODY","text":"x"}]}`)
	if r.Status != 200 {
		t.Fatalf("create: %d %v", r.Status, r.Body)
	}
	e.rcv.next(t)
	if tpl, _ := e.sb.template("reject_this", "de"); tpl.Status != "REJECTED" {
		t.Errorf("reject_ template after the review: %s", tpl.Status)
	}
	if r := e.do(t, http.MethodDelete, "/v23.0/"+testWABA+"/message_templates?name=promo_autumn", testToken, ""); r.Status != 200 || r.Body["success"] != true {
		t.Errorf("delete: %d %v", r.Status, r.Body)
	}
	if _, ok := e.sb.template("promo_autumn", "de"); ok {
		t.Error("deleted template still there")
	}
	if r := e.do(t, http.MethodDelete, "/v23.0/"+testWABA+"/message_templates?name=promo_autumn", testToken, ""); r.Code != 100 {
		t.Errorf("second delete: %d %v", r.Status, r.Body)
	}
	for _, bad := range []string{
		`{"name":"Bad Name","language":"de","category":"MARKETING","components":[{"type":"BODY","text":"x"}]}`,
		`{"name":"no_body","language":"de","category":"MARKETING","components":[]}`,
	} {
		if r := e.do(t, http.MethodPost, "/v23.0/"+testWABA+"/message_templates", testToken, bad); r.Status != 400 || r.Code == 0 {
			t.Errorf("%s: %d %v", bad, r.Status, r.Body)
		}
	}
}
