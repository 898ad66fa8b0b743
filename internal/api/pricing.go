package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
	"github.com/openwaba/openwaba/internal/pricing"
)

// GET /api/pricing answers in the shape of seven's pricing endpoint
// (shared/spec/seven/openapi.json, operation Pricing): countries, each
// with "networks". WhatsApp has no networks; its prices differ by message
// category, so each category is one network entry, named and featured by
// it, with the rule that makes it free in its comment.

type pricingView struct {
	CountCountries int              `json:"countCountries"`
	CountNetworks  int              `json:"countNetworks"`
	Countries      []pricingCountry `json:"countries"`
}

type pricingCountry struct {
	CountryCode   string           `json:"countryCode"`
	CountryName   string           `json:"countryName"`
	CountryPrefix string           `json:"countryPrefix"`
	Networks      []pricingNetwork `json:"networks"`
}

type pricingNetwork struct {
	Comment     string   `json:"comment"`
	Features    []string `json:"features"`
	MCC         string   `json:"mcc"`
	MNCs        []string `json:"mncs"`
	NetworkName string   `json:"networkName"`
	Price       float64  `json:"price"`
}

// pricedCategories are the categories GET /api/pricing lists, in order.
var pricedCategories = []openwaba.PriceCategory{
	openwaba.CategoryMarketing, openwaba.CategoryUtility, openwaba.CategoryAuthentication, openwaba.CategoryService,
}

// pricing answers GET /api/pricing: the account's prices per country
// (?country=de for one) and category, in the account's currency, as the
// price table gives them for the country's calling code (the built-in
// prices where it has no row), read once for the whole answer.
func (s *Server) prices(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	regions, err := pricingRegions(r.URL.Query().Get("country"))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	rules, err := s.cfg.Store.FreeRules(ctx)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	acct, err := s.cfg.Store.Account(ctx, principalFrom(ctx).AccountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	rows, err := s.cfg.Store.Prices(ctx, acct.Currency)
	if err != nil {
		s.writeError(w, fmt.Errorf("price table: %w", err), false)
		return
	}
	now := s.now()
	out := pricingView{Countries: []pricingCountry{}}
	for _, region := range regions {
		prefix := phone.CallingCode(region)
		c := pricingCountry{CountryCode: region, CountryName: regionName(region), CountryPrefix: prefix}
		for _, cat := range pricedCategories {
			price, err := pricing.Lookup(rows, pricing.Default(), cat, prefix)
			if err != nil {
				s.writeError(w, err, false)
				return
			}
			c.Networks = append(c.Networks, pricingNetwork{
				Comment:     freeComment(rules, cat, now),
				Features:    []string{"whatsapp", string(cat)},
				MNCs:        []string{},
				NetworkName: "WhatsApp " + string(cat),
				Price:       price.Float(),
			})
		}
		out.CountNetworks += len(c.Networks)
		out.Countries = append(out.Countries, c)
	}
	out.CountCountries = len(out.Countries)
	writeJSON(w, http.StatusOK, out)
}

// pricingRegions are the regions to list: the one country asks for (ISO
// 3166 alpha-2, any case), or every region libphonenumber knows, sorted.
func pricingRegions(country string) ([]string, error) {
	if country = strings.TrimSpace(country); country != "" {
		region := strings.ToUpper(country)
		if utf8.RuneCountInString(country) != 2 || phone.CallingCode(region) == "" {
			return nil, badField("country", "must be an ISO 3166 country code such as de or fr, got %q", country)
		}
		return []string{region}, nil
	}
	var all []string
	for r := range phonenumbers.GetSupportedRegions() {
		all = append(all, r)
	}
	slices.Sort(all)
	return all, nil
}

// regionName is the region's English name ("Germany"), or its code.
func regionName(region string) string {
	r, err := language.ParseRegion(region)
	if err != nil {
		return region
	}
	if name := display.English.Regions().Name(r); name != "" {
		return name
	}
	return region
}

// freeComment says when messages of category c are free by the rules in
// force at now.
func freeComment(rules []openwaba.FreeRule, c openwaba.PriceCategory, now time.Time) string {
	open, closed := openwaba.Free(rules, c, true, now), openwaba.Free(rules, c, false, now)
	switch {
	case open && closed:
		return "free"
	case open:
		return "free inside an open customer service window; charged per delivered message outside it"
	case closed:
		return "free outside the customer service window"
	}
	return "charged per delivered message"
}

type freeRuleView struct {
	Category      string `json:"category"`
	Window        string `json:"window"`
	Free          bool   `json:"free"`
	EffectiveFrom string `json:"effective_from"`
	Note          string `json:"note"`
	UpdatedAt     string `json:"updated_at"`
}

func viewOfRule(r openwaba.FreeRule) freeRuleView {
	return freeRuleView{string(r.Category), string(r.Window), r.Free, timeString(r.EffectiveFrom), r.Note, timeString(r.UpdatedAt)}
}

// adminListFreeRules answers GET /api/admin/free-rules.
func (s *Server) adminListFreeRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.cfg.Store.FreeRules(r.Context())
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	out := []freeRuleView{}
	for _, rule := range rules {
		out = append(out, viewOfRule(rule))
	}
	writeJSON(w, http.StatusOK, out)
}

// freeRuleKey reads the category, window and date that name a rule.
func freeRuleKey(category, window, from string) (openwaba.FreeRule, error) {
	var rule openwaba.FreeRule
	switch c := openwaba.PriceCategory(category); c {
	case openwaba.CategoryMarketing, openwaba.CategoryUtility, openwaba.CategoryAuthentication, openwaba.CategoryService:
		rule.Category = c
	default:
		return rule, badField("category", "must be marketing, utility, authentication or service, got %q", category)
	}
	if rule.Window = openwaba.WindowState(window); !rule.Window.Valid() {
		return rule, badField("window", "must be open, closed or any, got %q", window)
	}
	at, err := parseRuleDate(from)
	if err != nil {
		return rule, err
	}
	rule.EffectiveFrom = at
	return rule, nil
}

// parseRuleDate reads effective_from: YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseRuleDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, badField("effective_from", "is required: YYYY-MM-DD (UTC) or RFC 3339")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, badField("effective_from", "must be YYYY-MM-DD (UTC) or RFC 3339, got %q", s)
	}
	return t.UTC().Truncate(time.Millisecond), nil
}

// adminSetFreeRule answers PUT /api/admin/free-rules: creates or replaces
// the rule (category, window, effective_from).
func (s *Server) adminSetFreeRule(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Category      flexString `json:"category"`
		Window        flexString `json:"window"`
		Free          flexBool   `json:"free"`
		EffectiveFrom flexString `json:"effective_from"`
		Note          flexString `json:"note"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	rule, err := freeRuleKey(req.Category.Value, req.Window.Value, req.EffectiveFrom.Value)
	switch {
	case err != nil:
	case !req.Free.Set || req.Free.Invalid:
		err = badField("free", "is required: true or false")
	case utf8.RuneCountInString(req.Note.Value) > 500:
		err = badField("note", "must be at most 500 characters")
	case strings.IndexByte(req.Note.Value, 0) >= 0:
		err = badField("note", "must not contain U+0000")
	}
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	rule.Free, rule.Note, rule.UpdatedAt = req.Free.Value, req.Note.Value, s.now()
	if err := s.cfg.Store.SetFreeRule(r.Context(), rule); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, viewOfRule(rule))
}

// adminDeleteFreeRule answers DELETE /api/admin/free-rules?category=&window=&effective_from=.
func (s *Server) adminDeleteFreeRule(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rule, err := freeRuleKey(q.Get("category"), q.Get("window"), q.Get("effective_from"))
	if err == nil {
		err = s.cfg.Store.DeleteFreeRule(r.Context(), rule.Category, rule.Window, rule.EffectiveFrom)
	}
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}
