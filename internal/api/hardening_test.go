package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// hardeningFixture is a fixture with a key of every scope ("all") and two
// accounts with a sender number each: 4915112345678 is account 1's,
// 4915199999999 account 2's. Hook targets are not resolved.
func hardeningFixture(t *testing.T, mutate ...func(*api.Config)) *fixture {
	t.Helper()
	f := newFixture(t, func(c *api.Config) {
		c.CheckHookTarget = func(context.Context, string) error { return nil }
		for _, m := range mutate {
			m(c)
		}
	})
	f.key(1, "all", nil, openwaba.ScopeWABA, openwaba.ScopeHooks, openwaba.ScopeAdmin, openwaba.ScopeAnalytics)
	other := f.account("other", 0)
	ctx := context.Background()
	for _, s := range []openwaba.Sender{
		{Number: "4915112345678", AccountID: 1, PhoneNumberID: "p1", WABAID: "w1"},
		{Number: "4915199999999", AccountID: other, PhoneNumberID: "p2", WABAID: "w2"},
	} {
		if err := f.store.PutSender(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestBodiesThatPanicked: a form whose keys are all indexes, and a body
// without a Content-Type that is not JSON, used to panic in every handler
// that decodes a body (the server dropped the connection). Each is a 400
// now, on every such endpoint.
func TestBodiesThatPanicked(t *testing.T) {
	t.Parallel()
	f := hardeningFixture(t)
	endpoints := []struct{ method, path string }{
		{"POST", "/api/waba/messages"},
		{"POST", "/api/waba/events"},
		{"POST", "/api/hooks"},
		{"DELETE", "/api/hooks"},
		{"POST", "/api/admin/accounts"},
		{"POST", "/api/admin/accounts/1/topup"},
		{"PUT", "/api/admin/accounts/1/signing"},
		{"POST", "/api/admin/accounts/1/keys"},
		{"POST", "/api/admin/accounts/1/senders"},
		{"PUT", "/api/admin/prices"},
	}
	bodies := []struct{ contentType, body string }{
		{"", "7"},
		{"", "0=x"},
		{"application/x-www-form-urlencoded", "0=x"},
		{"application/x-www-form-urlencoded", "0=x&1=y"},
		{"", "hello"},
	}
	for _, e := range endpoints {
		for _, b := range bodies {
			t.Run(e.method+" "+e.path+" "+b.body, func(t *testing.T) {
				t.Parallel()
				r := f.do(e.method, e.path, b.body, "X-Api-Key", "all", "Content-Type", b.contentType)
				if r.status != 400 || !strings.Contains(r.body, `"error_message":"body: `) {
					t.Fatalf("%s %s %q: %d %s, want 400 naming the body", e.method, e.path, b.body, r.status, r.body)
				}
			})
		}
	}
}

// TestCurlJSON: JSON sent with curl -d (labelled a form) is read as JSON.
func TestCurlJSON(t *testing.T) {
	t.Parallel()
	f := hardeningFixture(t)
	tests := []struct{ name, contentType string }{
		{"labelled a form", "application/x-www-form-urlencoded"},
		{"unlabelled", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := f.do("POST", "/api/waba/messages", `{"from":"4915112345678","to":"4917612345678","text":"hi","debug":true}`,
				"X-Api-Key", "key-a", "Content-Type", tc.contentType)
			// Not "from: is required": the body was read. Outside the
			// conversation window a text is refused per recipient.
			if r.status != 200 || !strings.Contains(r.body, `"error":"7002001"`) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

// TestNULRefusedEverywhere: U+0000 in any text a client sends is a 400
// that names the field, on every endpoint, in JSON and in forms.
func TestNULRefusedEverywhere(t *testing.T) {
	t.Parallel()
	f := hardeningFixture(t)
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path, contentType, body, want string
	}{
		{"text", "POST", "/api/waba/messages", "", `{"from":"4915112345678","to":"4917612345678","text":"a\u0000"}`, "text: must not contain U+0000"},
		{"text as form", "POST", "/api/waba/messages", form, "from=4915112345678&to=4917612345678&text=a%00", "text: must not contain U+0000"},
		{"caption", "POST", "/api/waba/messages", "", `{"from":"4915112345678","to":"4917612345678","type":"image","url":"https://x/y.jpg","caption":"\u0000"}`, "caption: must not contain U+0000"},
		{"label", "POST", "/api/waba/messages", form, "from=4915112345678&to=4917612345678&text=hi&label=a%00", "label: must not contain U+0000"},
		{"template parameter", "POST", "/api/waba/messages", "", `{"from":"4915112345678","to":"4917612345678","template":"t","language":"de","components":{"body":["\u0000"]}}`, "components.body[0]: must not contain U+0000"},
		{"emoji", "POST", "/api/waba/events", "", `{"event":"reaction","msg_id":"1","emoji":"\u0000"}`, "emoji: must not contain U+0000"},
		{"hook header", "POST", "/api/hooks", "", `{"target_url":"https://example.com","event_type":"all","headers":"X-A: \u0000"}`, "headers: must not contain U+0000"},
		{"hook target", "POST", "/api/hooks", form, "target_url=https%3A%2F%2Fexample.com%2F%00&event_type=all", "target_url: must not contain U+0000"},
		{"account name", "POST", "/api/admin/accounts", "", `{"name":"a\u0000"}`, "name: must not contain U+0000"},
		{"top-up reason", "POST", "/api/admin/accounts/1/topup", "", `{"amount":1,"reason":"\u0000"}`, "reason: must not contain U+0000"},
		{"key name", "POST", "/api/admin/accounts/1/keys", "", `{"name":"\u0000","scopes":["waba"]}`, "name: must not contain U+0000"},
		{"list filter", "GET", "/api/waba/messages?label=%00", "", "", "label: must not contain U+0000"},
		{"list filter not UTF-8", "GET", "/api/waba/messages?foreign_id=%ff", "", "", "foreign_id: must be valid UTF-8"},
		{"analytics filter", "GET", "/api/analytics?label=%00", "", "", "label: must not contain U+0000"},
	}
	// The cases run in parallel within one group, so that the checks
	// after it see what all of them left.
	t.Run("cases", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := f.do(tc.method, tc.path, tc.body, "X-Api-Key", "all", "Content-Type", tc.contentType)
				if r.status != 400 || !strings.Contains(r.body, tc.want) {
					t.Fatalf("%d %s, want 400 saying %q", r.status, r.body, tc.want)
				}
			})
		}
	})
	// Nothing was stored.
	ctx := context.Background()
	if hooks, _ := f.store.Hooks(ctx, 1); len(hooks) != 0 {
		t.Errorf("hooks stored: %+v", hooks)
	}
	if accts, _ := f.store.Accounts(ctx); len(accts) != 2 {
		t.Errorf("%d accounts", len(accts))
	}
	if keys, _ := f.store.APIKeys(ctx, 1); len(keys) != 2 {
		t.Errorf("%d keys", len(keys))
	}
}

// TestAdminMoneyStrict: amounts are read strictly with one parser; 1e13
// used to book math.MinInt64, a balance of -9.2 trillion.
func TestAdminMoneyStrict(t *testing.T) {
	t.Parallel()
	f := hardeningFixture(t)
	tests := []struct {
		name, method, path, body, want string
	}{
		{"top-up 1e13 number", "POST", "/api/admin/accounts/1/topup", `{"amount":1e13}`, `amount: \"1e13\" is not an amount of money`},
		{"top-up 1e13 string", "POST", "/api/admin/accounts/1/topup", `{"amount":"1e13"}`, `amount: \"1e13\" is not an amount of money`},
		{"top-up separator", "POST", "/api/admin/accounts/1/topup", `{"amount":"1_000"}`, `amount: \"1_000\" is not an amount of money`},
		{"top-up NaN", "POST", "/api/admin/accounts/1/topup", `{"amount":"NaN"}`, `is not an amount of money`},
		{"top-up seventh decimal", "POST", "/api/admin/accounts/1/topup", `{"amount":0.0000001}`, "at most 6 decimals"},
		{"top-up above maximum", "POST", "/api/admin/accounts/1/topup", `{"amount":1000000001}`, "at most 1000000000"},
		{"top-up below minimum", "POST", "/api/admin/accounts/1/topup", `{"amount":-1000000001}`, "at most 1000000000"},
		{"top-up object", "POST", "/api/admin/accounts/1/topup", `{"amount":{}}`, "amount: must be an amount of money"},
		{"top-up zero", "POST", "/api/admin/accounts/1/topup", `{"amount":"0.000"}`, "amount: must not be zero"},
		{"price 1e13", "PUT", "/api/admin/prices", `{"currency":"EUR","prefix":"49","category":"marketing","amount":1e13}`, `amount: \"1e13\" is not an amount of money`},
		{"price negative", "PUT", "/api/admin/prices", `{"currency":"EUR","prefix":"49","category":"marketing","amount":-1}`, "amount: must not be negative"},
		{"starting balance 1e13", "POST", "/api/admin/accounts", `{"name":"x","balance":1e13}`, `balance: \"1e13\" is not an amount of money`},
	}
	// The cases run in parallel within one group, so that the checks
	// after it see what all of them left.
	t.Run("cases", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := f.do(tc.method, tc.path, tc.body, "X-Api-Key", "all")
				if r.status != 400 || !strings.Contains(r.body, tc.want) {
					t.Fatalf("%d %s, want 400 saying %s", r.status, r.body, tc.want)
				}
			})
		}
	})
	ctx := context.Background()
	if a, err := f.store.Account(ctx, 1); err != nil || a.Balance != 10*openwaba.MicrosPerUnit {
		t.Errorf("balance %v, %v; want 10 unchanged", a.Balance, err)
	}
	if prices, _ := f.store.Prices(ctx, ""); len(prices) != 0 {
		t.Errorf("prices stored: %+v", prices)
	}
	if accts, _ := f.store.Accounts(ctx); len(accts) != 2 {
		t.Errorf("%d accounts", len(accts))
	}
	// The largest amount is booked exactly.
	r := f.do("POST", "/api/admin/accounts/1/topup", `{"amount":"999999999.999999"}`, "X-Api-Key", "all")
	if r.status != 200 || !strings.Contains(r.body, `"amount":1000000009.999999`) {
		t.Fatalf("top-up of the maximum: %d %s", r.status, r.body)
	}
}

// TestHookRefusals: a hook is refused at creation when its headers can
// never be sent or its event_filter is not one of the account's numbers.
func TestHookRefusals(t *testing.T) {
	t.Parallel()
	f := hardeningFixture(t)
	lines := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("X-H" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + ": v\n")
		}
		return b.String()
	}
	tests := []struct {
		name    string
		filter  string
		headers string
		want    string // "" : created
	}{
		{"own number", "+49 151 12345678", "X-Customer: acme", ""},
		{"another account's number", "4915199999999", "", "event_filter: must be one of your sender numbers; 4915199999999 is not"},
		{"nobody's number", "4917612345678", "", "event_filter: must be one of your sender numbers; 4917612345678 is not"},
		{"not a number", "abc", "", "event_filter: must be one of your sender numbers"},
		{"control character", "", "X-A: b\x1bc", "headers: the value of X-A holds the control character U+001B"},
		{"CR in a value", "", "X-A: b\rX-B: c", "control character U+000D"},
		{"Transfer-Encoding", "", "X-A: 1\nTransfer-Encoding: chunked", "headers: Transfer-Encoding is set by the HTTP client"},
		{"Content-Encoding", "", "Content-Encoding: gzip", "Content-Encoding is set by the HTTP client"},
		{"signature", "", "X-Signature: forged", "headers: X-Signature is set by openwaba"},
		{"100 KiB value", "", "X-Big: " + strings.Repeat("v", 100<<10), "headers: at most 4096 bytes"},
		{"20,000 lines", "", strings.Repeat("X-A: 1\n", 20000), "given twice"},
		{"21 headers", "", lines(21), "headers: at most 20 headers"},
	}
	// The cases run in parallel within one group, so that the checks
	// after it see what all of them left.
	t.Run("cases", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				body := url.Values{"target_url": {"https://example.com/" + url.PathEscape(tc.name)}, "event_type": {"all"}, "event_filter": {tc.filter}, "headers": {tc.headers}}.Encode()
				r := f.do("POST", "/api/hooks", body, "X-Api-Key", "all", "Content-Type", "application/x-www-form-urlencoded")
				if tc.want == "" {
					if r.status != 200 {
						t.Fatalf("%d %s, want the hook created", r.status, r.body)
					}
					return
				}
				if r.status != 400 || !strings.Contains(r.body, tc.want) {
					t.Fatalf("%d %s, want 400 saying %q", r.status, r.body, tc.want)
				}
				var res struct {
					Success bool   `json:"success"`
					Code    string `json:"code"`
				}
				if err := json.Unmarshal([]byte(r.body), &res); err != nil || res.Success || res.Code != "400" {
					t.Fatalf("answer %s is not the hooks API's error", r.body)
				}
			})
		}
	})
	// Only the valid hook was stored.
	hooks, err := f.store.Hooks(context.Background(), 1)
	if err != nil || len(hooks) != 1 || hooks[0].EventFilter != "4915112345678" {
		t.Fatalf("hooks %+v, %v; want the one with the account's own number", hooks, err)
	}
}
