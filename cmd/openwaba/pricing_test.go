package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

const orderConfirmation = `"type":"template","template":"order_confirmation","language":"en","components":{"body":["Anna","ORD-1"],"buttons":[{"type":"button","sub_type":"url","parameters":[{"type":"text","text":"1"}]}]}`

// adminKey creates a key with the admin scope and returns its secret.
func (g *testGateway) adminKey(t *testing.T) string {
	t.Helper()
	key := api.NewKeySecret()
	if _, err := g.store.CreateAPIKey(context.Background(), openwaba.APIKey{AccountID: defaultAccount(t, g), Name: "operator",
		Hash: api.HashKey(key), Scopes: []openwaba.Scope{openwaba.ScopeAdmin}}); err != nil {
		t.Fatal(err)
	}
	return key
}

// ledgerOf lists the ledger rows of message id as "reason amount".
func (g *testGateway) ledgerOf(t *testing.T, id string) []string {
	t.Helper()
	n, _ := strconv.ParseInt(id, 10, 64)
	entries, err := g.store.Ledger(context.Background(), defaultAccount(t, g))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.MessageID == n {
			out = append(out, fmt.Sprintf("%s %s", e.Reason, e.Amount))
		}
	}
	return out
}

// waitSettled polls the message until its price is settled from the
// status reports.
func (g *testGateway) waitSettled(t *testing.T, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t)
		if m["settled_price"] != nil && m["status"] == "read" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s not settled: %v", id, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPricingEndToEnd: templates are priced at accept by Meta's rules
// (category, country, window) and settled from the pricing object of the
// sandbox's status reports, through the real gateway.
func TestPricingEndToEnd(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"dlr","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
	g.openWindow(testUser)
	tests := []struct {
		name          string
		body          string
		price         float64 // at accept
		billable      bool
		category, typ string
		settled       float64
		ledger        []string
	}{
		{"utility template in the window: free", `{"from":"` + testSender + `","to":"` + testUser + `",` + orderConfirmation + `}`,
			0, false, "utility", "free_customer_service", 0, nil},
		{"marketing template: charged", helloWorld,
			0.0735, true, "marketing", "regular", 0.0735, []string{"message -0.0735"}},
		{"utility template outside the window: charged", `{"from":"` + testSender + `","to":"4917699999999",` + orderConfirmation + `}`,
			0.0456, true, "utility", "regular", 0.0456, []string{"message -0.0456"}},
		{"text in the window: free", `{"from":"` + testSender + `","to":"` + testUser + `","text":"Danke!"}`,
			0, false, "service", "free_customer_service", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := g.send(tt.body)["messages"].([]any)[0].(map[string]any)
			if res["success"] != true || res["price"] != tt.price {
				t.Fatalf("accept: %v, want price %v", res, tt.price)
			}
			id := res["id"].(string)
			m := g.waitSettled(t, id)
			if m["price"] != tt.price || m["billable"] != tt.billable || m["pricing_category"] != tt.category ||
				m["pricing_type"] != tt.typ || m["settled_price"] != tt.settled {
				t.Errorf("message %v, want billable %v, %s, %s, settled %v", m, tt.billable, tt.category, tt.typ, tt.settled)
			}
			if got := g.ledgerOf(t, id); !slices.Equal(got, tt.ledger) {
				t.Errorf("ledger %v, want %v", got, tt.ledger)
			}
		})
	}

	// The status reports to the customer say the same.
	recv.wait(t, 8)
	recv.mu.Lock()
	for _, env := range recv.got {
		data := env["data"].(map[string]any)
		if data["status"] == "DELIVERED" && (data["billable"] == nil || data["settled_price"] == nil || data["pricing_category"] == nil) {
			t.Errorf("DELIVERED report without its pricing: %v", data)
		}
	}
	recv.mu.Unlock()
}

// A utility template priced outside the window at accept, which goes out
// after the user wrote, is free by Meta: the price is settled back.
func TestPricingSettlesBack(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	const user = "4917655500001"
	delay := time.Now().Add(2 * time.Second).Unix()
	res := g.send(`{"from":"` + testSender + `","to":"` + user + `","delay":` + strconv.FormatInt(delay, 10) + `,` + orderConfirmation + `}`)["messages"].([]any)[0].(map[string]any)
	if res["price"] != 0.0456 {
		t.Fatalf("accept: %v, want 0.0456 (the window is closed)", res)
	}
	g.openWindow(user) // before the message goes out
	id := res["id"].(string)
	m := g.waitSettled(t, id)
	if m["billable"] != false || m["pricing_type"] != "free_customer_service" || m["settled_price"] != 0.0 {
		t.Errorf("message %v, want settled to 0 as free_customer_service", m)
	}
	if got, want := g.ledgerOf(t, id), []string{"message -0.0456", "settlement 0.0456"}; !slices.Equal(got, want) {
		t.Errorf("ledger %v, want %v", got, want)
	}
	if a, err := g.store.Account(context.Background(), defaultAccount(t, g)); err != nil || a.Balance != 100*openwaba.MicrosPerUnit {
		t.Errorf("balance %v, %v; want the starting 100", a.Balance, err)
	}
}

// Meta bills delivered messages only: one that WhatsApp took (sent, with
// a billable pricing object) and then could not deliver is refunded.
func TestPricingFailedAfterSentRefunded(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.MetaAppSecret = "app-secret"; c.SandboxStatusDelay = time.Hour })
	id := firstID(t, g.send(helloWorld))
	wamid := g.waitWAMID(id)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	for _, st := range []string{
		`{"id":"` + wamid + `","status":"sent","timestamp":"` + ts + `","recipient_id":"` + testUser + `","pricing":{"billable":true,"pricing_model":"PMP","category":"marketing","type":"regular"}}`,
		`{"id":"` + wamid + `","status":"failed","timestamp":"` + ts + `","recipient_id":"` + testUser + `","errors":[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable","error_data":{"details":"x"}}]}`,
	} {
		body := `{"object":"whatsapp_business_account","entry":[{"id":"` + sandboxWABAID + `","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
			`"metadata":{"display_phone_number":"` + sandboxNumber + `","phone_number_id":"` + sandboxPhoneNumberID + `"},"statuses":[` + st + `]}}]}]}`
		if r := g.do("POST", "/webhooks/meta", body, "X-Hub-Signature-256", "sha256="+sign("app-secret", body)); r.Status != 200 {
			t.Fatalf("webhook: %d %s", r.Status, r.Body)
		}
	}
	m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t)
	if m["status"] != "failed" || m["billable"] != true || m["settled_price"] != 0.0 {
		t.Errorf("message %v, want failed, billable, settled to 0", m)
	}
	if got, want := g.ledgerOf(t, id), []string{"message -0.0735", "refund 0.0735"}; !slices.Equal(got, want) {
		t.Errorf("ledger %v, want %v", got, want)
	}
}

// GET /api/pricing answers in seven's shape with the account's prices.
func TestPricingEndpoint(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	if err := g.store.SetPrice(context.Background(), openwaba.Price{Currency: "EUR", Prefix: "49", Category: openwaba.CategoryMarketing, Amount: 113_100}); err != nil {
		t.Fatal(err)
	}
	r := g.do("GET", "/api/pricing?country=de", "")
	if r.Status != 200 {
		t.Fatalf("GET /api/pricing: %d %s", r.Status, r.Body)
	}
	p := r.JSON(t)
	countries := p["countries"].([]any)
	if p["countCountries"] != 1.0 || p["countNetworks"] != 4.0 || len(countries) != 1 {
		t.Fatalf("pricing %v", p)
	}
	de := countries[0].(map[string]any)
	if de["countryCode"] != "DE" || de["countryName"] != "Germany" || de["countryPrefix"] != "49" {
		t.Errorf("country %v", de)
	}
	prices := map[string]float64{}
	comments := map[string]string{}
	for _, n := range de["networks"].([]any) {
		nw := n.(map[string]any)
		prices[nw["networkName"].(string)] = nw["price"].(float64)
		comments[nw["networkName"].(string)] = nw["comment"].(string)
	}
	want := map[string]float64{"WhatsApp marketing": 0.1131, "WhatsApp utility": 0.0456, "WhatsApp authentication": 0.0456, "WhatsApp service": 0}
	for name, price := range want {
		if prices[name] != price {
			t.Errorf("%s: %v, want %v", name, prices[name], price)
		}
	}
	if !strings.Contains(comments["WhatsApp utility"], "free inside an open customer service window") || comments["WhatsApp service"] != "free" {
		t.Errorf("comments %v", comments)
	}
	all := g.do("GET", "/api/pricing", "").JSON(t)
	if n := all["countCountries"].(float64); n < 200 {
		t.Errorf("%v countries, want every country", n)
	}
	if r := g.do("GET", "/api/pricing?country=xx", ""); r.Status != 400 || !strings.Contains(string(r.Body), "country") {
		t.Errorf("unknown country: %d %s", r.Status, r.Body)
	}
}

// A change of Meta's rules is a row: with utility templates charged in
// the window from a date, they are priced so from that date on.
func TestFreeRuleChangeIsARow(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	admin := g.adminKey(t)
	r := g.do("PUT", "/api/admin/free-rules", `{"category":"utility","window":"open","free":false,"effective_from":"2020-01-01","note":"test"}`, "X-Api-Key", admin)
	if r.Status != 200 {
		t.Fatalf("PUT free rule: %d %s", r.Status, r.Body)
	}
	// 2020 is before Meta's 2025 rule: that one still applies.
	g.openWindow(testUser)
	if res := g.send(`{"from":"` + testSender + `","to":"` + testUser + `",` + orderConfirmation + `}`)["messages"].([]any)[0].(map[string]any); res["price"] != 0.0 {
		t.Errorf("utility in the window with an older rule: %v, want free", res)
	}
	from := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	r = g.do("PUT", "/api/admin/free-rules", `{"category":"utility","window":"open","free":false,"effective_from":"`+from+`"}`, "X-Api-Key", admin)
	if r.Status != 200 {
		t.Fatalf("PUT free rule: %d %s", r.Status, r.Body)
	}
	if res := g.send(`{"from":"` + testSender + `","to":"` + testUser + `",` + orderConfirmation + `}`)["messages"].([]any)[0].(map[string]any); res["price"] != 0.0456 {
		t.Errorf("utility in the window under the new rule: %v, want 0.0456", res)
	}
	if r := g.do("GET", "/api/admin/free-rules", "", "X-Api-Key", admin); r.Status != 200 || strings.Count(string(r.Body), `"category"`) != 4 {
		t.Errorf("GET free rules: %d %s, want 4 rules", r.Status, r.Body)
	}
	if r := g.do("PUT", "/api/admin/free-rules", `{"category":"utility","window":"sometimes","free":true,"effective_from":"2027-01-01"}`, "X-Api-Key", admin); r.Status != 400 || !strings.Contains(string(r.Body), "window") {
		t.Errorf("bad window: %d %s", r.Status, r.Body)
	}
	if r := g.do("DELETE", "/api/admin/free-rules?category=utility&window=open&effective_from="+from, "", "X-Api-Key", admin); r.Status != 200 {
		t.Errorf("DELETE free rule: %d %s", r.Status, r.Body)
	}
}
