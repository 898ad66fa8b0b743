package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var healthTests = []test{
	{"ApplyHealth", testApplyHealth},
	{"ApplyHealthToTheWABA", testApplyHealthToWABA},
	{"ApplyTemplateReport", testApplyTemplateReport},
	{"TemplateReportOfUnknownTemplate", testTemplateReportUnknown},
	{"TemplateReportBeforeTheTemplate", testTemplateReportBeforeTemplate},
	{"SyncKeepsTheReason", testSyncKeepsReason},
}

func putSender(t *testing.T, s openwaba.Store, accountID int64, number, phoneID, waba string) {
	t.Helper()
	wantErr(t, "PutSender", s.PutSender(t.Context(), openwaba.Sender{
		Number: number, AccountID: accountID, PhoneNumberID: phoneID, WABAID: waba, CreatedAt: t0}), nil)
}

func sender(t *testing.T, s openwaba.Store, accountID int64, number string) openwaba.Sender {
	t.Helper()
	sd, err := s.Sender(t.Context(), accountID, number)
	wantErr(t, "Sender", err, nil)
	return sd
}

// healthEvents decodes the number_quality deliveries of ds.
func healthEvents(t *testing.T, ds []openwaba.Delivery) []openwaba.HealthChange {
	t.Helper()
	var out []openwaba.HealthChange
	for _, d := range ds {
		if d.Event != openwaba.HookNumberQuality {
			t.Errorf("delivery of %s, want number_quality", d.Event)
			continue
		}
		var c openwaba.HealthChange
		if err := json.Unmarshal(d.Data, &c); err != nil {
			t.Fatalf("number_quality data %s: %v", d.Data, err)
		}
		out = append(out, c)
	}
	return out
}

// testApplyHealth: a report for one number changes that number's health,
// once: the repeat (Meta redelivers) changes nothing and reports nothing.
// The event goes to the account's hooks that want it, and the admin's
// PutSender keeps the health.
func testApplyHealth(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	putSender(t, s, a.ID, sender1, "p1", "w1")
	putSender(t, s, a.ID, sender2, "p2", "w1")
	putSender(t, s, b.ID, "4915100000003", "p3", "w2")
	all := newHook(t, s, a.ID, openwaba.HookAll, "")
	newHook(t, s, a.ID, openwaba.HookNumberQuality, sender2) // another number
	newHook(t, s, a.ID, openwaba.HookDLR, "")
	newHook(t, s, b.ID, openwaba.HookAll, "")
	quality := newHook(t, s, a.ID, openwaba.HookNumberQuality, sender1)

	flagged := openwaba.HealthReport{Field: openwaba.FieldPhoneNumberQuality, WABAID: "w1", Number: sender1, Event: "FLAGGED", MessagingLimit: "TIER_2K", At: t0}
	changed, err := s.ApplyHealth(t.Context(), flagged)
	wantErr(t, "ApplyHealth", err, nil)
	want := openwaba.SenderHealth{Quality: openwaba.QualityRed, MessagingLimit: "TIER_2K", Event: "FLAGGED", UpdatedAt: t0}
	if len(changed) != 1 || changed[0].Number != sender1 {
		t.Fatalf("changed %+v, want %s", changed, sender1)
	}
	equal(t, "changed health", changed[0].Health, want)
	equal(t, "stored health", sender(t, s, a.ID, sender1).Health, want)
	equal(t, "the other number", sender(t, s, a.ID, sender2).Health, openwaba.SenderHealth{})

	ds := drain(t, s, t0)
	var hooks []int64
	for _, d := range ds {
		hooks = append(hooks, d.Hook.ID)
	}
	slices.Sort(hooks)
	if !slices.Equal(hooks, []int64{all.ID, quality.ID}) {
		t.Errorf("delivered to hooks %v, want %v", hooks, []int64{all.ID, quality.ID})
	}
	for _, c := range healthEvents(t, ds) {
		equal(t, "event", c, openwaba.HealthChange{Number: sender1, WABAID: "w1", Field: flagged.Field, Event: "FLAGGED", After: want, At: t0})
	}

	// Redelivered: nothing changes, nothing is reported.
	flagged.At = t0.Add(time.Minute)
	changed, err = s.ApplyHealth(t.Context(), flagged)
	wantErr(t, "ApplyHealth again", err, nil)
	if len(changed) != 0 || len(drain(t, s, t0.Add(time.Minute))) != 0 {
		t.Errorf("a repeated report changed %+v", changed)
	}
	// A report for another WABA's number, or an unknown number: nothing.
	for _, r := range []openwaba.HealthReport{
		{Field: flagged.Field, WABAID: "w2", Number: sender1, Event: "UNFLAGGED", At: t0},
		{Field: flagged.Field, WABAID: "w1", Number: "4915199999999", Event: "UNFLAGGED", At: t0},
	} {
		changed, err = s.ApplyHealth(t.Context(), r)
		wantErr(t, "ApplyHealth of no sender", err, nil)
		if len(changed) != 0 {
			t.Errorf("%s/%s changed %+v", r.WABAID, r.Number, changed)
		}
	}
	// The operator updates the number: its health stays.
	wantErr(t, "PutSender", s.PutSender(t.Context(), openwaba.Sender{Number: sender1, AccountID: a.ID, PhoneNumberID: "p1", WABAID: "w1", MPS: 20}), nil)
	equal(t, "health after PutSender", sender(t, s, a.ID, sender1).Health, want)

	unflagged := openwaba.HealthReport{Field: flagged.Field, WABAID: "w1", Number: sender1, Event: "UNFLAGGED", At: t0.Add(time.Hour)}
	changed, err = s.ApplyHealth(t.Context(), unflagged)
	wantErr(t, "ApplyHealth UNFLAGGED", err, nil)
	if len(changed) != 1 || changed[0].Health.Quality != openwaba.QualityYellow {
		t.Errorf("after UNFLAGGED %+v", changed)
	}
	cs := healthEvents(t, drain(t, s, t0.Add(time.Hour)))
	if len(cs) != 2 || cs[0].Before.Quality != openwaba.QualityRed || cs[0].After.Quality != openwaba.QualityYellow {
		t.Errorf("UNFLAGGED events %+v", cs)
	}
}

// testApplyHealthToWABA: an account_update without a number concerns
// every number of the WABA; restrictions keep their expiry.
func testApplyHealthToWABA(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	putSender(t, s, a.ID, sender1, "p1", "w1")
	putSender(t, s, a.ID, sender2, "p2", "w1")
	putSender(t, s, a.ID, "4915100000003", "p3", "w2")
	restrictions := []openwaba.Restriction{
		{Type: openwaba.RestrictBusinessInitiated, Expires: t0.Add(24 * time.Hour)},
		{Type: openwaba.RestrictAddPhoneNumber},
	}
	r := openwaba.HealthReport{Field: openwaba.FieldAccountUpdate, WABAID: "w1", Event: "ACCOUNT_RESTRICTION", Restrictions: restrictions, At: t0}
	changed, err := s.ApplyHealth(t.Context(), r)
	wantErr(t, "ApplyHealth", err, nil)
	var numbers []string
	for _, sd := range changed {
		numbers = append(numbers, sd.Number)
	}
	if !slices.Equal(numbers, []string{sender1, sender2}) {
		t.Errorf("changed %v, want both numbers of w1", numbers)
	}
	all, err := s.Senders(t.Context(), a.ID)
	wantErr(t, "Senders", err, nil)
	for _, sd := range all {
		want := openwaba.SenderHealth{Restrictions: restrictions, Event: "ACCOUNT_RESTRICTION", UpdatedAt: t0}
		if sd.WABAID == "w2" {
			want = openwaba.SenderHealth{}
		}
		equal(t, "health of "+sd.Number, sd.Health, want)
	}
	r = openwaba.HealthReport{Field: openwaba.FieldAccountUpdate, WABAID: "w1", Event: "DISABLED_UPDATE", BanState: openwaba.BanDisabled, At: t0.Add(time.Second)}
	changed, err = s.ApplyHealth(t.Context(), r)
	wantErr(t, "ApplyHealth DISABLED_UPDATE", err, nil)
	if len(changed) != 2 || changed[0].Health.BanState != openwaba.BanDisabled || len(changed[0].Health.Restrictions) != 2 {
		t.Errorf("after DISABLED_UPDATE %+v", changed)
	}
}

func templateEvents(t *testing.T, ds []openwaba.Delivery) map[int64]openwaba.TemplateChange {
	t.Helper()
	out := map[int64]openwaba.TemplateChange{}
	for _, d := range ds {
		if d.Event != openwaba.HookTemplateStatus {
			t.Errorf("delivery of %s, want template_status", d.Event)
		}
		var c openwaba.TemplateChange
		if err := json.Unmarshal(d.Data, &c); err != nil {
			t.Fatalf("template_status data %s: %v", d.Data, err)
		}
		out[d.Hook.ID] = c
	}
	return out
}

// testApplyTemplateReport: a report changes the template in the accounts
// with a number of its WABA, found by Meta's id, and reports it to their
// hooks, the ones filtered on one of those numbers included.
func testApplyTemplateReport(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	putSender(t, s, a.ID, sender1, "p1", "w1")
	putSender(t, s, a.ID, sender2, "p2", "w9")
	putSender(t, s, b.ID, "4915100000003", "p3", "w2")
	ta := template(a.ID, "promo", "en", "APPROVED")
	tb := template(b.ID, "promo", "en", "APPROVED")
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{ta}), nil)
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), b.ID, []openwaba.Template{tb}), nil)
	all := newHook(t, s, a.ID, openwaba.HookAll, "")
	filtered := newHook(t, s, a.ID, openwaba.HookTemplateStatus, sender1)
	newHook(t, s, a.ID, openwaba.HookTemplateStatus, sender2) // a number of another WABA
	newHook(t, s, a.ID, openwaba.HookNumberQuality, "")
	newHook(t, s, b.ID, openwaba.HookAll, "")

	paused := openwaba.TemplateReport{Field: openwaba.FieldTemplateStatus, WABAID: "w1", ID: ta.ID, Name: "promo", Language: "en",
		Event: "PAUSED", Reason: "paused for 3 hours", At: t0.Add(time.Minute)}
	changed, err := s.ApplyTemplateReport(t.Context(), paused)
	wantErr(t, "ApplyTemplateReport", err, nil)
	want := ta
	want.Status, want.Reason, want.UpdatedAt = "PAUSED", "paused for 3 hours", t0.Add(time.Minute)
	equal(t, "changed", changed, []openwaba.Template{want})
	got, err := s.Template(t.Context(), a.ID, "promo", "en")
	wantErr(t, "Template", err, nil)
	equal(t, "stored", got, want)
	got, err = s.Template(t.Context(), b.ID, "promo", "en")
	wantErr(t, "Template of the other account", err, nil)
	equal(t, "the other account's", got, tb)

	evs := templateEvents(t, drain(t, s, t0.Add(time.Minute)))
	if len(evs) != 2 || evs[all.ID] != evs[filtered.ID] {
		t.Fatalf("events %+v, want one each to hooks %d and %d", evs, all.ID, filtered.ID)
	}
	equal(t, "event", evs[all.ID], openwaba.TemplateChange{Report: paused, Known: true, Before: ta.State(), After: want.State()})

	// Meta's quality score, found by name and language.
	q := openwaba.TemplateReport{Field: openwaba.FieldTemplateQuality, WABAID: "w1", Name: "promo", Language: "en", Quality: "RED", PreviousQuality: "GREEN", At: t0.Add(2 * time.Minute)}
	changed, err = s.ApplyTemplateReport(t.Context(), q)
	wantErr(t, "ApplyTemplateReport quality", err, nil)
	if len(changed) != 1 || changed[0].Quality != "RED" || changed[0].Status != "PAUSED" {
		t.Errorf("after the quality update %+v", changed)
	}
	got, _ = s.Template(t.Context(), a.ID, "promo", "en")
	if got.Quality != "RED" {
		t.Errorf("stored quality %q", got.Quality)
	}
}

func testTemplateReportUnknown(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	putSender(t, s, a.ID, sender1, "p1", "w1")
	h := newHook(t, s, a.ID, openwaba.HookTemplateStatus, "")
	r := openwaba.TemplateReport{Field: openwaba.FieldTemplateStatus, WABAID: "w1", ID: "777", Name: "fresh", Language: "de", Event: "APPROVED", At: t0}
	changed, err := s.ApplyTemplateReport(t.Context(), r)
	wantErr(t, "ApplyTemplateReport", err, nil)
	if len(changed) != 0 {
		t.Errorf("changed %+v of a template the store does not have", changed)
	}
	if _, err := s.Template(t.Context(), a.ID, "fresh", "de"); err == nil {
		t.Error("an unknown template was created without its components")
	}
	evs := templateEvents(t, drain(t, s, t0))
	equal(t, "event", evs[h.ID], openwaba.TemplateChange{Report: r, After: openwaba.TemplateState{ID: "777", Name: "fresh", Language: "de", Status: "APPROVED"}})
	// A WABA of no account: nothing, no error.
	r.WABAID = "w404"
	changed, err = s.ApplyTemplateReport(t.Context(), r)
	wantErr(t, "ApplyTemplateReport of an unknown WABA", err, nil)
	if len(changed) != 0 || len(drain(t, s, t0)) != 0 {
		t.Error("a report of an unknown WABA changed or reported something")
	}
}

// testTemplateReportBeforeTemplate: a template created through the API
// whose reports (approved, then a quality score) came before the gateway
// stored Meta's answer gets them when it is stored, once; another
// template's report stays kept for that one.
func testTemplateReportBeforeTemplate(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	putSender(t, s, a.ID, sender1, "p1", "w1")
	for _, r := range []openwaba.TemplateReport{
		{Field: openwaba.FieldTemplateStatus, WABAID: "w1", ID: "777", Name: "fresh", Language: "de", Event: "APPROVED", At: t0},
		{Field: openwaba.FieldTemplateQuality, WABAID: "w1", ID: "777", Name: "fresh", Language: "de", Quality: "GREEN", At: t0},
		{Field: openwaba.FieldTemplateStatus, WABAID: "w1", ID: "778", Name: "other", Language: "de", Event: "REJECTED", At: t0},
	} {
		if _, err := s.ApplyTemplateReport(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	created := template(a.ID, "fresh", "de", "PENDING")
	created.ID, created.UpdatedAt = "777", t0.Add(time.Second)
	wantErr(t, "PutTemplate", s.PutTemplate(t.Context(), created), nil)
	got, err := s.Template(t.Context(), a.ID, "fresh", "de")
	wantErr(t, "Template", err, nil)
	if got.Status != "APPROVED" || got.Quality != "GREEN" {
		t.Errorf("stored after its reports: status %s quality %q; want APPROVED GREEN", got.Status, got.Quality)
	}
	// Stored again (an edit answered PENDING): the reports were applied once.
	wantErr(t, "PutTemplate again", s.PutTemplate(t.Context(), created), nil)
	if got, _ := s.Template(t.Context(), a.ID, "fresh", "de"); got.Status != "PENDING" {
		t.Errorf("stored again: status %s; the early reports were applied twice", got.Status)
	}
	other := template(a.ID, "other", "de", "PENDING")
	other.ID = "778"
	wantErr(t, "PutTemplate other", s.PutTemplate(t.Context(), other), nil)
	if got, _ := s.Template(t.Context(), a.ID, "other", "de"); got.Status != "REJECTED" {
		t.Errorf("the other template: status %s, want REJECTED", got.Status)
	}
}

// testSyncKeepsReason: Meta's template list does not say why a template
// is paused; a sync keeps the reason while the status is the same.
func testSyncKeepsReason(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	putSender(t, s, a.ID, sender1, "p1", "w1")
	tp := template(a.ID, "promo", "en", "APPROVED")
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{tp}), nil)
	_, err := s.ApplyTemplateReport(t.Context(), openwaba.TemplateReport{Field: openwaba.FieldTemplateStatus, WABAID: "w1", ID: tp.ID,
		Event: "PAUSED", Reason: "paused for 3 hours", At: t0})
	wantErr(t, "ApplyTemplateReport", err, nil)
	tp.Status, tp.Quality = "PAUSED", "RED"
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{tp}), nil)
	got, _ := s.Template(t.Context(), a.ID, "promo", "en")
	if got.Reason != "paused for 3 hours" || got.Quality != "RED" {
		t.Errorf("after a sync of the paused template: reason %q, quality %q", got.Reason, got.Quality)
	}
	tp.Status = "APPROVED"
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, []openwaba.Template{tp}), nil)
	if got, _ := s.Template(t.Context(), a.ID, "promo", "en"); got.Reason != "" {
		t.Errorf("after a sync that approved it: reason %q", got.Reason)
	}
}
