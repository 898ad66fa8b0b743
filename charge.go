package openwaba

import (
	"context"
	"slices"
	"time"
)

// What a message costs, as Meta charges since 2025-07-01 (per-message
// pricing): every delivered template message by its category and the
// user's country; utility templates inside an open customer service window
// are free, and so are service (non-template) messages. openwaba prices a
// message at accept by these rules, then settles it from the pricing
// object of Meta's status reports. The rules that make a message free are
// data (FreeRule, kept by the store with an effective date), so that a
// change of Meta's rules is a table row, not a release.

// ReasonSettlement is the ledger reason of the difference between what a
// message was charged at accept and what WhatsApp's reports say it costs.
const ReasonSettlement = "settlement"

// Pricing is the pricing object of a status report.
type Pricing struct {
	Billable bool
	Model    string // PMP (per-message pricing) since 2025-07-01; CBP before
	// Type is regular (charged), free_customer_service (utility or
	// service inside the window) or free_entry_point (a window opened by
	// a click-to-WhatsApp ad or a page button).
	Type string
	// Category is what Meta charged the message as: marketing, utility,
	// authentication, authentication_international, marketing_lite,
	// service, referral_conversion.
	Category string
}

// Pricing types of Meta's status reports.
const (
	PricingRegular             = "regular"
	PricingFreeCustomerService = "free_customer_service"
	PricingFreeEntryPoint      = "free_entry_point"
)

// PriceCategory is the price table's category for Meta's pricing
// category: authentication_international is priced as authentication,
// marketing_lite as marketing, referral_conversion (a free entry point
// conversation) as service; "" for one openwaba does not know.
func (p Pricing) PriceCategory() PriceCategory {
	switch p.Category {
	case "marketing", "marketing_lite":
		return CategoryMarketing
	case "utility":
		return CategoryUtility
	case "authentication", "authentication_international":
		return CategoryAuthentication
	case "service", "referral_conversion":
		return CategoryService
	}
	return ""
}

// WindowState is what a FreeRule asks of the customer service window.
type WindowState string

const (
	WindowOpen   WindowState = "open"   // the user wrote in the last 24 hours
	WindowClosed WindowState = "closed" // they did not
	WindowAny    WindowState = "any"    // either
)

// Valid reports whether w is one of the states above.
func (w WindowState) Valid() bool { return w == WindowOpen || w == WindowClosed || w == WindowAny }

// FreeRule says whether messages of Category sent while the window is in
// state Window are free, from EffectiveFrom on. A later rule of the same
// category and window replaces an earlier one; rules for a state win over
// rules for any state of the same date.
type FreeRule struct {
	Category      PriceCategory
	Window        WindowState
	Free          bool
	EffectiveFrom time.Time
	Note          string // where the rule comes from
	UpdatedAt     time.Time
}

// PerMessagePricing is when Meta's per-message pricing began.
var PerMessagePricing = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// DefaultFreeRules are Meta's rules since 2025-07-01, which every store
// starts with: service messages are free, utility templates inside an
// open window are free.
func DefaultFreeRules() []FreeRule {
	return []FreeRule{
		{Category: CategoryService, Window: WindowAny, Free: true, EffectiveFrom: PerMessagePricing,
			Note: "Meta: service (non-template) messages are free since 2025-07-01"},
		{Category: CategoryUtility, Window: WindowOpen, Free: true, EffectiveFrom: PerMessagePricing,
			Note: "Meta: utility templates inside an open customer service window are free since 2025-07-01"},
	}
}

// Free reports whether a message of category c sent at time at, with the
// window open or not, is free by rules: the rule in force at that time for
// c and that window state (or any state) decides; without one the
// message is charged.
func Free(rules []FreeRule, c PriceCategory, windowOpen bool, at time.Time) bool {
	state := WindowClosed
	if windowOpen {
		state = WindowOpen
	}
	var best *FreeRule
	for i, r := range rules {
		if r.Category != c || (r.Window != state && r.Window != WindowAny) || r.EffectiveFrom.After(at) {
			continue
		}
		if best == nil || r.EffectiveFrom.After(best.EffectiveFrom) ||
			(r.EffectiveFrom.Equal(best.EffectiveFrom) && r.Window == state) {
			best = &rules[i]
		}
	}
	return best != nil && best.Free
}

// WindowMatters reports whether any of the rules for category c depends
// on the window: if none does, pricing a message need not look it up.
func WindowMatters(rules []FreeRule, c PriceCategory) bool {
	return slices.ContainsFunc(rules, func(r FreeRule) bool { return r.Category == c && r.Window != WindowAny })
}

// ChargeFacts is what is known of a message when the store settles it.
type ChargeFacts struct {
	Accepted  Micros        // charged at accept
	List      Micros        // the price of its category and country, before free rules
	Category  PriceCategory // its category
	Pricing   *Pricing      // what WhatsApp reported; nil until a report had it
	Delivered bool          // its journal has delivered (or read)
	Failed    bool          // its journal has failed
	Ended     bool          // expired or deleted: never sent
}

// Charge is what a message costs from what is known of it, and whether
// getting there is a refund (the message failed or ended) rather than a
// settlement:
//   - a message that never went out (expired, deleted) or failed without
//     being delivered costs nothing: Meta charges delivered messages only;
//   - once WhatsApp reported its pricing: nothing when Meta does not bill
//     it, else the list price of the category Meta billed it as (listOf,
//     asked only when that is not the message's own category);
//   - before that: what it was charged at accept.
func Charge(f ChargeFacts, listOf func(PriceCategory) (Micros, error)) (Micros, bool, error) {
	switch {
	case f.Ended || (f.Failed && !f.Delivered):
		return 0, true, nil
	case f.Pricing == nil:
		return f.Accepted, false, nil
	case !f.Pricing.Billable:
		return 0, false, nil
	}
	c := f.Pricing.PriceCategory()
	if c == "" || c == f.Category {
		return f.List, false, nil
	}
	amount, err := listOf(c)
	return amount, false, err
}

// DeliveredStatuses are the statuses that show a message was delivered,
// for stores that look for them in a journal.
func DeliveredStatuses() []Status { return ReportedAs(StatusDelivered) }

// PricingRuleStore keeps the free rules.
type PricingRuleStore interface {
	// FreeRules lists the rules by category, window and date.
	FreeRules(ctx context.Context) ([]FreeRule, error)
	// SetFreeRule creates or replaces the rule (Category, Window,
	// EffectiveFrom).
	SetFreeRule(ctx context.Context, r FreeRule) error
	// DeleteFreeRule removes a rule; an unknown one is ErrNotFound.
	DeleteFreeRule(ctx context.Context, c PriceCategory, w WindowState, effectiveFrom time.Time) error
}
