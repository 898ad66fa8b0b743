package openwaba_test

import (
	"errors"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

func TestFree(t *testing.T) {
	t.Parallel()
	before := openwaba.PerMessagePricing.Add(-time.Hour)
	after := openwaba.PerMessagePricing.Add(time.Hour)
	change := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	// A reported change: utility templates in the window charged again
	// from 2026-10-01; a rule row, not a release.
	changed := append(openwaba.DefaultFreeRules(), openwaba.FreeRule{
		Category: openwaba.CategoryUtility, Window: openwaba.WindowOpen, Free: false, EffectiveFrom: change,
	})
	// Rules for one window state win over rules for any state of the
	// same date.
	exact := []openwaba.FreeRule{
		{Category: openwaba.CategoryMarketing, Window: openwaba.WindowAny, Free: true, EffectiveFrom: openwaba.PerMessagePricing},
		{Category: openwaba.CategoryMarketing, Window: openwaba.WindowClosed, Free: false, EffectiveFrom: openwaba.PerMessagePricing},
	}
	tests := []struct {
		name     string
		rules    []openwaba.FreeRule
		c        openwaba.PriceCategory
		inWindow bool
		at       time.Time
		want     bool
	}{
		{"utility in the window", openwaba.DefaultFreeRules(), openwaba.CategoryUtility, true, after, true},
		{"utility outside", openwaba.DefaultFreeRules(), openwaba.CategoryUtility, false, after, false},
		{"utility in the window before per-message pricing", openwaba.DefaultFreeRules(), openwaba.CategoryUtility, true, before, false},
		{"marketing in the window", openwaba.DefaultFreeRules(), openwaba.CategoryMarketing, true, after, false},
		{"authentication in the window", openwaba.DefaultFreeRules(), openwaba.CategoryAuthentication, true, after, false},
		{"service", openwaba.DefaultFreeRules(), openwaba.CategoryService, true, after, true},
		{"utility in the window before a later rule", changed, openwaba.CategoryUtility, true, change.Add(-time.Second), true},
		{"utility in the window once the later rule applies", changed, openwaba.CategoryUtility, true, change, false},
		{"no rules: charged", nil, openwaba.CategoryService, true, after, false},
		{"an exact window wins, closed", exact, openwaba.CategoryMarketing, false, after, false},
		{"an exact window wins, open: any applies", exact, openwaba.CategoryMarketing, true, after, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := openwaba.Free(tt.rules, tt.c, tt.inWindow, tt.at); got != tt.want {
				t.Errorf("Free = %v, want %v", got, tt.want)
			}
		})
	}
	if !openwaba.WindowMatters(openwaba.DefaultFreeRules(), openwaba.CategoryUtility) ||
		openwaba.WindowMatters(openwaba.DefaultFreeRules(), openwaba.CategoryMarketing) ||
		openwaba.WindowMatters(openwaba.DefaultFreeRules(), openwaba.CategoryService) {
		t.Error("WindowMatters: only utility depends on the window by default")
	}
}

func TestCharge(t *testing.T) {
	t.Parallel()
	const accepted, list, marketing = 45_600, 45_600, 73_500
	billed := func(category string) *openwaba.Pricing {
		return &openwaba.Pricing{Billable: true, Model: "PMP", Type: openwaba.PricingRegular, Category: category}
	}
	free := &openwaba.Pricing{Billable: false, Model: "PMP", Type: openwaba.PricingFreeCustomerService, Category: "utility"}
	listOf := func(c openwaba.PriceCategory) (openwaba.Micros, error) {
		if c == openwaba.CategoryMarketing {
			return marketing, nil
		}
		return 0, errors.New("unexpected lookup of " + string(c))
	}
	tests := []struct {
		name       string
		f          openwaba.ChargeFacts
		want       openwaba.Micros
		wantRefund bool
	}{
		{"no report yet: the accept price", openwaba.ChargeFacts{Accepted: accepted, List: list}, accepted, false},
		{"billed as its category: the list price", openwaba.ChargeFacts{Accepted: 0, List: list, Category: openwaba.CategoryUtility, Pricing: billed("utility")}, list, false},
		{"not billed: nothing", openwaba.ChargeFacts{Accepted: accepted, List: list, Category: openwaba.CategoryUtility, Pricing: free}, 0, false},
		{"billed as another category: its price", openwaba.ChargeFacts{Accepted: accepted, List: list, Category: openwaba.CategoryUtility, Pricing: billed("marketing_lite")}, marketing, false},
		{"authentication_international as authentication", openwaba.ChargeFacts{Accepted: 1, List: list, Category: openwaba.CategoryAuthentication, Pricing: billed("authentication_international")}, list, false},
		{"an unknown category: the list price", openwaba.ChargeFacts{Accepted: 1, List: list, Category: openwaba.CategoryUtility, Pricing: billed("gizmo")}, list, false},
		{"failed after sent, not delivered: refunded", openwaba.ChargeFacts{Accepted: accepted, List: list, Pricing: billed("utility"), Failed: true}, 0, true},
		{"failed and delivered: billed", openwaba.ChargeFacts{Accepted: accepted, List: list, Category: openwaba.CategoryUtility, Pricing: billed("utility"), Failed: true, Delivered: true}, list, false},
		{"ended: refunded", openwaba.ChargeFacts{Accepted: accepted, List: list, Ended: true}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, refund, err := openwaba.Charge(tt.f, listOf)
			if err != nil || got != tt.want || refund != tt.wantRefund {
				t.Errorf("Charge = %v, refund %v, %v; want %v, refund %v", got, refund, err, tt.want, tt.wantRefund)
			}
		})
	}
}
