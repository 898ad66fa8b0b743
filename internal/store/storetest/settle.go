package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// Messages are charged at accept and settled from the pricing object of
// WhatsApp's status reports (openwaba.Charge): a ledger row for every
// difference, nothing for a report that changes nothing.
var settleTests = append(settleCases(), []test{
	{"EarlyPricing", testEarlyPricing},
	{"FreeRules", testFreeRules},
}...)

const (
	utilityList   openwaba.Micros = 45_600
	marketingList openwaba.Micros = 73_500
)

func pricingOf(billable bool, typ, category string) *openwaba.Pricing {
	return &openwaba.Pricing{Billable: billable, Model: "PMP", Type: typ, Category: category}
}

// utilityTemplate is a utility template to recipient1 charged price at
// accept, with the list price utilityList.
func utilityTemplate(p openwaba.Micros) openwaba.Message {
	m := templateMessage(recipient1)
	m.Category, m.Price, m.ListPrice = openwaba.CategoryUtility, p, utilityList
	return m
}

// settleCase is a message's reports and what it costs after them.
type settleCase struct {
	name     string
	accepted openwaba.Micros // charged at accept; the list price is utilityList
	steps    []settleStep
	charge   openwaba.Micros
	pricing  *openwaba.Pricing
	ledger   []string // the message's ledger rows after the debit at accept
}

// settleStep is a report of a settle case.
type settleStep struct {
	status  openwaba.Status
	pricing *openwaba.Pricing
}

func settleCases() []test {
	billed := pricingOf(true, openwaba.PricingRegular, "utility")
	free := pricingOf(false, openwaba.PricingFreeCustomerService, "utility")
	entry := pricingOf(false, openwaba.PricingFreeEntryPoint, "utility")
	cases := []settleCase{
		{"in the window: free at accept, free by Meta", 0,
			[]settleStep{{openwaba.StatusSent, free}, {openwaba.StatusDelivered, free}, {openwaba.StatusRead, nil}},
			0, free, nil},
		{"billed as charged: nothing to settle", utilityList,
			[]settleStep{{openwaba.StatusSent, billed}, {openwaba.StatusDelivered, billed}},
			utilityList, billed, nil},
		{"charged at accept, free by Meta: settled back", utilityList,
			[]settleStep{{openwaba.StatusSent, free}, {openwaba.StatusDelivered, free}},
			0, free, []string{"settlement +45600"}},
		{"free at accept, billed by Meta: settled up", 0,
			[]settleStep{{openwaba.StatusSent, billed}},
			utilityList, billed, []string{"settlement -45600"}},
		{"a free entry point", utilityList,
			[]settleStep{{openwaba.StatusSent, entry}},
			0, entry, []string{"settlement +45600"}},
		{"billed as marketing: the marketing price", utilityList,
			[]settleStep{{openwaba.StatusSent, pricingOf(true, openwaba.PricingRegular, "marketing")}},
			marketingList, pricingOf(true, openwaba.PricingRegular, "marketing"), []string{"settlement -27900"}},
		{"failed after sent: Meta does not bill it", utilityList,
			[]settleStep{{openwaba.StatusSent, billed}, {openwaba.StatusFailed, nil}},
			0, billed, []string{"refund +45600"}},
		{"failed, then sent redelivered: still not billed", utilityList,
			[]settleStep{{openwaba.StatusSent, billed}, {openwaba.StatusFailed, nil}, {openwaba.StatusSent, billed}},
			0, billed, []string{"refund +45600"}},
		{"failed, then delivered after all: billed", 0,
			[]settleStep{{openwaba.StatusSent, billed}, {openwaba.StatusFailed, nil}, {openwaba.StatusDelivered, billed}},
			utilityList, billed, []string{"settlement -45600", "refund +45600", "settlement -45600"}},
		{"no pricing reported: as accepted", utilityList,
			[]settleStep{{openwaba.StatusSent, nil}, {openwaba.StatusDelivered, nil}},
			utilityList, nil, nil},
	}
	var tests []test
	// Every case twice, as the status cases: a report per ApplyStatus,
	// and all in one ApplyStatuses, where each report settles on what the
	// ones before it left in the same write.
	for _, tc := range cases {
		for _, batched := range []bool{false, true} {
			name := tc.name
			if batched {
				name += " in one batch"
			}
			tests = append(tests, test{name, func(t *testing.T, s openwaba.Store) {
				testSettleCase(t, s, tc, batched)
			}})
		}
	}
	return tests
}

// testSettleCase applies a case's reports, one ApplyStatus each or all in
// one ApplyStatuses (batched), and checks what the message costs after.
func testSettleCase(t *testing.T, s openwaba.Store, tc settleCase, batched bool) {
	a := newAccount(t, s, "acme", 1_000_000)
	wantErr(t, "SetPrice", s.SetPrice(t.Context(), openwaba.Price{Currency: "EUR", Category: openwaba.CategoryMarketing, Amount: marketingList}), nil)
	m := accept(t, s, a.ID, utilityTemplate(tc.accepted)).Messages[0]
	claim(t, s, t0, time.Minute, 1)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.p", t0), nil)
	var us []openwaba.StatusUpdate
	for i, st := range tc.steps {
		us = append(us, openwaba.StatusUpdate{WAMID: "wamid.p", Status: st.status,
			At: t0.Add(time.Duration(i+1) * time.Second), Pricing: st.pricing})
	}
	if batched {
		_, err := s.ApplyStatuses(t.Context(), us)
		wantErr(t, "ApplyStatuses", err, nil)
	} else {
		for i, u := range us {
			_, err := s.ApplyStatus(t.Context(), u)
			wantErr(t, fmt.Sprintf("report %d (%s)", i, u.Status), err, nil)
		}
	}
	got := message(t, s, a.ID, m.ID)
	if got.Charge != tc.charge || got.Price != tc.accepted || got.ListPrice != utilityList {
		t.Errorf("charge %v (accepted %v, list %v), want %v", got.Charge, got.Price, got.ListPrice, tc.charge)
	}
	equal(t, "Pricing", got.Pricing, tc.pricing)
	if wantSettled := tc.pricing != nil || tc.ledger != nil; got.Settled != wantSettled {
		t.Errorf("settled = %v, want %v", got.Settled, wantSettled)
	}
	var rows []string
	entries, err := s.Ledger(t.Context(), a.ID)
	wantErr(t, "Ledger", err, nil)
	for _, e := range entries {
		if e.MessageID == m.ID && e.Reason != openwaba.ReasonDebit {
			rows = append(rows, fmt.Sprintf("%s %+d", e.Reason, e.Amount))
		}
	}
	if !slices.Equal(rows, tc.ledger) {
		t.Errorf("ledger %v, want %v", rows, tc.ledger)
	}
	checkBalance(t, s, a.ID, 1_000_000-tc.charge)
}

// A report with pricing that comes before the wamid is stored settles the
// message when MarkSubmitted applies it.
func testEarlyPricing(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	m := accept(t, s, a.ID, utilityTemplate(utilityList)).Messages[0]
	claim(t, s, t0, time.Minute, 1)
	free := pricingOf(false, openwaba.PricingFreeCustomerService, "utility")
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.e", Status: openwaba.StatusSent, At: t0, Pricing: free})
	wantErr(t, "ApplyStatus (early)", err, nil)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.e", t0), nil)
	got := message(t, s, a.ID, m.ID)
	if got.Charge != 0 || !got.Settled {
		t.Errorf("charge %v, settled %v; want settled to 0", got.Charge, got.Settled)
	}
	equal(t, "Pricing", got.Pricing, free)
	checkBalance(t, s, a.ID, 1_000_000)
}

func testFreeRules(t *testing.T, s openwaba.Store) {
	rules, err := s.FreeRules(t.Context())
	wantErr(t, "FreeRules", err, nil)
	// A new store has Meta's rules since 2025-07-01.
	if !openwaba.Free(rules, openwaba.CategoryUtility, true, t0.AddDate(1, 0, 0)) ||
		openwaba.Free(rules, openwaba.CategoryUtility, false, t0.AddDate(1, 0, 0)) ||
		!openwaba.Free(rules, openwaba.CategoryService, false, t0.AddDate(1, 0, 0)) ||
		openwaba.Free(rules, openwaba.CategoryMarketing, true, t0.AddDate(1, 0, 0)) {
		t.Errorf("default rules %+v are not Meta's", rules)
	}
	for _, r := range openwaba.DefaultFreeRules() {
		if !slices.ContainsFunc(rules, func(g openwaba.FreeRule) bool {
			return g.Category == r.Category && g.Window == r.Window && g.Free == r.Free && g.EffectiveFrom.Equal(r.EffectiveFrom)
		}) {
			t.Errorf("rule %+v missing from %+v", r, rules)
		}
	}
	// A change is a row: utility in the window charged from 2026-10-01.
	change := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	rule := openwaba.FreeRule{Category: openwaba.CategoryUtility, Window: openwaba.WindowOpen, Free: false,
		EffectiveFrom: change, Note: "reported by BSPs", UpdatedAt: t0}
	wantErr(t, "SetFreeRule", s.SetFreeRule(t.Context(), rule), nil)
	rule.Note = "confirmed"
	wantErr(t, "SetFreeRule again", s.SetFreeRule(t.Context(), rule), nil)
	rules, err = s.FreeRules(t.Context())
	wantErr(t, "FreeRules", err, nil)
	if len(rules) != len(openwaba.DefaultFreeRules())+1 {
		t.Fatalf("%d rules after one new one: %+v", len(rules), rules)
	}
	if !openwaba.Free(rules, openwaba.CategoryUtility, true, change.Add(-time.Second)) || openwaba.Free(rules, openwaba.CategoryUtility, true, change) {
		t.Errorf("the new rule does not apply from %v: %+v", change, rules)
	}
	if i := slices.IndexFunc(rules, func(r openwaba.FreeRule) bool { return r.EffectiveFrom.Equal(change) }); i < 0 || rules[i].Note != "confirmed" {
		t.Errorf("the rule was not replaced: %+v", rules)
	}
	wantErr(t, "DeleteFreeRule", s.DeleteFreeRule(t.Context(), openwaba.CategoryUtility, openwaba.WindowOpen, change), nil)
	wantErr(t, "DeleteFreeRule again", s.DeleteFreeRule(t.Context(), openwaba.CategoryUtility, openwaba.WindowOpen, change), openwaba.ErrNotFound)
}
