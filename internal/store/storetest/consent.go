package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// The suppression list: filled by what users write and what Meta reports,
// cleared by START or a request, under every id of the user; an opt-out
// cancels and refunds the user's pending marketing messages; each change
// is one opt_out or opt_in event.
var consentTests = []test{
	{"KeywordsOptOutAndIn", testConsentKeywords},
	{"AccountKeywords", testConsentAccountKeywords},
	{"StopPromotionsButton", testConsentButton},
	{"Meta131050", testConsentMetaError},
	{"OptOutCancelsMarketing", testConsentCancelsMarketing},
	{"ApplyConsent", testApplyConsent},
	{"SuppressesAnyone", testSuppressesAnyone},
}

// testSuppressesAnyone: whether an account has any entry, its own only.
func testSuppressesAnyone(t *testing.T, s openwaba.Store) {
	a, b := newAccount(t, s, "acme", 0), newAccount(t, s, "bolt", 0)
	anyone := func(accountID int64) bool {
		t.Helper()
		ok, err := s.SuppressesAnyone(t.Context(), accountID)
		wantErr(t, "SuppressesAnyone", err, nil)
		return ok
	}
	apply := func(c openwaba.ConsentChange) {
		t.Helper()
		_, err := s.ApplyConsent(t.Context(), a.ID, "", recipient1, c, t0)
		wantErr(t, "ApplyConsent", err, nil)
	}
	equal(t, "before any entry", anyone(a.ID), false)
	apply(openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI})
	equal(t, "after an opt-out", []bool{anyone(a.ID), anyone(b.ID)}, []bool{true, false})
	apply(openwaba.ConsentChange{OptIn: true, Reason: openwaba.ConsentAPI})
	equal(t, "after the opt-in of the only entry", anyone(a.ID), false)
}

func suppressions(t *testing.T, s openwaba.Store, accountID int64) []string {
	t.Helper()
	es, err := s.Suppressions(t.Context(), accountID)
	wantErr(t, "Suppressions", err, nil)
	out := []string{}
	for _, e := range es {
		out = append(out, e.User+" "+string(e.Reason)+" "+e.Note)
	}
	slices.Sort(out)
	return out
}

// consentEvents delivers everything due at now and returns the opt_out
// and opt_in deliveries, as "event reason note".
func consentEvents(t *testing.T, s openwaba.Store, now time.Time) []string {
	t.Helper()
	out := []string{}
	for _, d := range drain(t, s, now) {
		if d.Event != openwaba.HookOptOut && d.Event != openwaba.HookOptIn {
			continue
		}
		var ev openwaba.ConsentEvent
		if err := json.Unmarshal(d.Data, &ev); err != nil {
			t.Fatalf("%s event data %s: %v", d.Event, d.Data, err)
		}
		out = append(out, string(d.Event)+" "+ev.Reason+" "+ev.Note)
	}
	return out
}

func testConsentKeywords(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	withSenders(t, s, a.ID)
	newHook(t, s, a.ID, openwaba.HookAll, "")
	say := func(wamid, text string, u openwaba.User, at time.Time) {
		m := fromUser(a.ID, wamid, u, at)
		m.Text = text
		record(t, s, m)
	}
	say("wamid.c0", "please don't stop writing", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0)
	equal(t, "after a text that contains STOP", suppressions(t, s, a.ID), []string{})
	say("wamid.c1", "  Stop! ", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0.Add(time.Minute))
	equal(t, "after Stop!", suppressions(t, s, a.ID), []string{recipient1 + " keyword STOP", bsuid1 + " keyword STOP"})
	for _, id := range []string{recipient1, bsuid1} {
		e, ok, err := s.Suppressed(t.Context(), a.ID, sender1, id)
		wantErr(t, "Suppressed", err, nil)
		if !ok || e.Reason != openwaba.ConsentKeyword || !e.CreatedAt.Equal(t0.Add(time.Minute+time.Second)) {
			t.Errorf("Suppressed(%s) = %+v, %v; want the keyword entry at the time it was received", id, e, ok)
		}
	}
	if _, ok, _ := s.Suppressed(t.Context(), b.ID, "", recipient1); ok {
		t.Error("the user is suppressed in another account")
	}
	say("wamid.c2", "STOPP", openwaba.User{WaID: recipient1}, t0.Add(2*time.Minute)) // already on the list: no second event
	equal(t, "events after two opt-outs", consentEvents(t, s, t0.Add(time.Hour)), []string{"opt_out keyword STOP"})
	say("wamid.c3", "start", openwaba.User{UserID: bsuid1}, t0.Add(3*time.Minute))
	equal(t, "after start", suppressions(t, s, a.ID), []string{})
	equal(t, "events after start", consentEvents(t, s, t0.Add(time.Hour)), []string{"opt_in keyword START"})
}

func testConsentAccountKeywords(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	wantErr(t, "SetOptKeywords", s.SetOptKeywords(t.Context(), a.ID, []string{"halt", " Genug "}, []string{"weiter"}), nil)
	got, err := s.Account(t.Context(), a.ID)
	wantErr(t, "Account", err, nil)
	equal(t, "keywords", [][]string{got.OptOutKeywords, got.OptInKeywords}, [][]string{{"HALT", "GENUG"}, {"WEITER"}})
	record(t, s, inbound(a.ID, "wamid.k0", recipient1, t0, "STOP")) // not this account's keyword any more
	equal(t, "after STOP", suppressions(t, s, a.ID), []string{})
	record(t, s, inbound(a.ID, "wamid.k1", recipient1, t0, "genug."))
	equal(t, "after genug.", suppressions(t, s, a.ID), []string{recipient1 + " keyword GENUG"})
	record(t, s, inbound(a.ID, "wamid.k2", recipient1, t0, "Weiter"))
	equal(t, "after Weiter", suppressions(t, s, a.ID), []string{})
	wantErr(t, "SetOptKeywords", s.SetOptKeywords(t.Context(), a.ID, nil, nil), nil)
	got, err = s.Account(t.Context(), a.ID)
	wantErr(t, "Account", err, nil)
	if out, in := got.OptKeywords(); !slices.Equal(out, openwaba.DefaultOptOutKeywords) || !slices.Equal(in, openwaba.DefaultOptInKeywords) {
		t.Errorf("keywords after clearing: %v, %v; want the defaults", out, in)
	}
	wantErr(t, "SetOptKeywords of an unknown account", s.SetOptKeywords(t.Context(), 999, nil, nil), openwaba.ErrNotFound)
}

func testConsentButton(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	m := inbound(a.ID, "wamid.b0", recipient1, t0, openwaba.StopPromotions)
	m.Type = "button"
	record(t, s, m)
	equal(t, "after the button", suppressions(t, s, a.ID), []string{recipient1 + " stop_promotions Stop promotions"})
}

func testConsentMetaError(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	m := submitted(t, s, a.ID, "wamid.m0")
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.m0", Status: openwaba.StatusFailed, At: t0,
		ErrorCode: openwaba.MetaCodeMarketingStopped, ErrorText: "This recipient has chosen to stop receiving marketing messages"})
	wantErr(t, "ApplyStatus", err, nil)
	equal(t, "after 131050", suppressions(t, s, a.ID), []string{m.Recipient + " meta_131050 This recipient has chosen to stop receiving marketing messages"})
	// Another failure changes nothing.
	b := newAccount(t, s, "b", 1_000_000)
	submitted(t, s, b.ID, "wamid.m1")
	_, err = s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.m1", Status: openwaba.StatusFailed, At: t0, ErrorCode: 131026})
	wantErr(t, "ApplyStatus", err, nil)
	equal(t, "after 131026", suppressions(t, s, b.ID), []string{})
}

func marketingMessage(to string, due time.Time) openwaba.Message {
	m := templateMessage(to)
	m.Category = openwaba.CategoryMarketing
	m.ScheduledAt, m.ExpiresAt = due, due.Add(m.TTL)
	if due.After(t0) {
		m.Status = openwaba.StatusScheduled
	}
	return m
}

func testConsentCancelsMarketing(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	withSenders(t, s, a.ID)
	newHook(t, s, a.ID, openwaba.HookOptOut, "")
	record(t, s, fromUser(a.ID, "wamid.x0", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0))
	res := accept(t, s, a.ID,
		marketingMessage(recipient1, t0),                  // queued, claimed below: a dispatcher holds it
		marketingMessage(bsuid1, t0.Add(time.Hour)),       // scheduled, to the BSUID: cancelled
		marketingMessage(recipient1, t0.Add(2*time.Hour)), // scheduled: cancelled
		templateMessage(recipient1),                       // utility: stays
		marketingMessage(recipient2, t0.Add(2*time.Hour)), // someone else: stays
	)
	ids := ids(res.Messages)
	if got := claim(t, s, t0, time.Minute, 1); !slices.Equal(got, ids[:1]) {
		t.Fatalf("claimed %v, want %v", got, ids[:1])
	}
	balance := res.Balance
	changed, err := s.ApplyConsent(t.Context(), a.ID, sender1, recipient1, openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI}, t0.Add(time.Second))
	if err != nil || !changed {
		t.Fatalf("ApplyConsent = %v, %v", changed, err)
	}
	for i, want := range []openwaba.Status{openwaba.StatusQueued, openwaba.StatusFailed, openwaba.StatusFailed, openwaba.StatusQueued, openwaba.StatusScheduled} {
		m := message(t, s, a.ID, ids[i])
		if m.Status != want {
			t.Errorf("message %d is %s, want %s", i, m.Status, want)
		}
		if want == openwaba.StatusFailed && (!m.Refunded || m.ErrorCode != openwaba.MetaCodeMarketingStopped) {
			t.Errorf("cancelled message %d: refunded %v, code %d", i, m.Refunded, m.ErrorCode)
		}
	}
	checkBalance(t, s, a.ID, balance+2*res.Messages[1].Price)
	ds := claimAll(t, s, t0.Add(time.Hour))
	if len(ds) != 1 || ds[0].Event != openwaba.HookOptOut {
		t.Fatalf("deliveries %+v, want one opt_out", ds)
	}
	var ev openwaba.ConsentEvent
	wantErr(t, "opt_out data", json.Unmarshal(ds[0].Data, &ev), nil)
	equal(t, "opt_out event", ev, openwaba.ConsentEvent{Sender: sender1, User: openwaba.User{WaID: recipient1, UserID: bsuid1},
		Reason: "api", At: t0.Add(time.Second), Cancelled: []int64{ids[1], ids[2]}})
}

func testApplyConsent(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	apply := func(c openwaba.ConsentChange) bool {
		t.Helper()
		changed, err := s.ApplyConsent(t.Context(), a.ID, "", recipient1, c, t0)
		wantErr(t, "ApplyConsent", err, nil)
		return changed
	}
	out, in := openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI, Note: "asked by phone"}, openwaba.ConsentChange{OptIn: true, Reason: openwaba.ConsentAPI}
	equal(t, "changes", []bool{apply(in), apply(out), apply(out), apply(in), apply(in), apply(openwaba.ConsentChange{})}, []bool{false, true, false, true, false, false})
	_, err := s.ApplyConsent(t.Context(), a.ID, "", recipient1, openwaba.ConsentChange{OptOut: true, Reason: "whim"}, t0)
	if err == nil {
		t.Error("ApplyConsent took an unknown reason")
	}
	_, err = s.ApplyConsent(t.Context(), 999, "", recipient1, out, t0)
	wantErr(t, "ApplyConsent for an unknown account", err, openwaba.ErrNotFound)
}
