package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba/client"
)

// seven is a contract double of seven's gateway: it records each request
// and answers what the test scripted, in seven's shapes.
type seven struct {
	t       *testing.T
	srv     *httptest.Server
	secret  string
	mu      sync.Mutex
	got     []recorded
	answers []answer
}

type recorded struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func newSeven(t *testing.T, secret string, answers ...answer) *seven {
	t.Helper()
	s := &seven{t: t, secret: secret, answers: answers}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *seven) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if s.secret != "" {
		// seven signs and checks the complete URL that was called.
		full := "http://" + r.Host + r.URL.RequestURI()
		if err := client.VerifySignature(s.secret, r.Header, r.Method, full, body, time.Now(), 30*time.Second); err != nil {
			s.t.Errorf("%s %s: %v", r.Method, r.URL, err)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("900"))
			return
		}
	}
	s.mu.Lock()
	s.got = append(s.got, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), Header: r.Header.Clone()})
	a := answer{status: 200, body: `{"success":true}`}
	if len(s.answers) > 0 {
		a, s.answers = s.answers[0], s.answers[1:]
	}
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func (s *seven) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.got...)
}

func (s *seven) client(opts ...client.Option) *client.Client {
	opts = append([]client.Option{client.WithBackoff(time.Millisecond, 2*time.Millisecond)}, opts...)
	return client.New(s.srv.URL+"/api", "KEY", opts...)
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %s", want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("body\n got: %s\nwant: %s", gb, wb)
	}
}

const sendAnswer = `{"success":"100","total_price":0.0735,"balance":123.45,"debug":"false","sms_type":"WA","messages":[{"id":"12345678","sender":"4915112345678","recipient":"4917612345678","text":"{}","encoding":"gsm","label":null,"parts":1,"udh":null,"is_binary":false,"price":0.0735,"channel":"WA","success":true,"error":null,"error_text":null}]}`

func TestCallsSendSevenRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name               string
		call               func(*client.Client) error
		answer             answer
		method, path, ct   string
		query, body        string // body "" means no body; JSON bodies compare by value
		formBody, jsonBody bool
	}{
		{
			name: "send template",
			call: func(c *client.Client) error {
				r, err := c.Send(ctx, client.SendRequest{From: "4915112345678", To: []string{"4917612345678"}, Message: client.Template{Name: "hello_world", Language: "de"}})
				if err == nil && (r.Success != "100" || r.IDs()[0] != "12345678" || r.Balance != 123.45 || bool(r.Debug) || r.Err() != nil) {
					t.Errorf("response = %+v", r)
				}
				return err
			},
			answer: answer{200, nil, sendAnswer},
			method: "POST", path: "/api/waba/messages", ct: "application/json", jsonBody: true,
			body: `{"from":"4915112345678","to":"4917612345678","type":"template","template":"hello_world","language":"de"}`,
		},
		{
			name: "send with every option",
			call: func(c *client.Client) error {
				_, err := c.Send(ctx, client.SendRequest{
					From: "4915112345678", To: []string{"4917612345678", "4917612345679"}, Message: client.Text{Body: "Hi & bye"},
					Label: "l", ForeignID: "f", TTL: 90 * time.Minute, Delay: time.Unix(1893488400, 0), PerformanceTracking: true, Debug: true,
				})
				return err
			},
			answer: answer{200, nil, sendAnswer},
			method: "POST", path: "/api/waba/messages", ct: "application/json", jsonBody: true,
			body: `{"from":"4915112345678","to":"4917612345678,4917612345679","type":"text","text":"Hi & bye","label":"l","foreign_id":"f","ttl":90,"delay":"1893488400","performance_tracking":true,"debug":true}`,
		},
		{
			name:   "delete",
			call:   func(c *client.Client) error { return c.Delete(ctx, "12345678") },
			method: "DELETE", path: "/api/waba/messages/12345678",
		},
		{
			name: "status",
			call: func(c *client.Client) error {
				m, err := c.Status(ctx, "7")
				if err == nil && (m.Status != "read" || len(m.Statuses) != 2 || m.Statuses[1].Status != "read" || m.Label != "") {
					t.Errorf("status = %+v", m)
				}
				return err
			},
			answer: answer{200, nil, `{"id":"7","status":"read","label":null,"status_time":"2026-11-25T10:00:03Z","created":"2026-11-25T10:00:00Z","scheduled":"2026-11-25T10:00:00Z","expires":"2026-11-27T10:00:00Z","error_code":null,"statuses":[{"status":"queued","time":"2026-11-25T10:00:00Z"},{"status":"read","time":"2026-11-25T10:00:03Z"}]}`},
			method: "GET", path: "/api/waba/messages/7",
		},
		{
			name: "read",
			call: func(c *client.Client) error {
				return c.Read(ctx, client.Conversation{From: "4915112345678", To: "4917612345678"})
			},
			method: "POST", path: "/api/waba/events", ct: "application/json", jsonBody: true,
			body: `{"from":"4915112345678","to":"4917612345678","event":"read"}`,
		},
		{
			name: "typing by msg_id",
			call: func(c *client.Client) error {
				return c.Typing(ctx, client.Conversation{From: "4915112345678", MsgID: "wamid.X"})
			},
			method: "POST", path: "/api/waba/events", ct: "application/json", jsonBody: true,
			body: `{"from":"4915112345678","msg_id":"wamid.X","event":"is_typing"}`,
		},
		{
			name:   "reaction",
			call:   func(c *client.Client) error { return c.React(ctx, "123456789", "👍") },
			method: "POST", path: "/api/waba/events", ct: "application/json", jsonBody: true,
			body: `{"event":"reaction","msg_id":"123456789","emoji":"👍"}`,
		},
		{
			name:   "remove reaction sends an empty emoji",
			call:   func(c *client.Client) error { return c.React(ctx, "123456789", "") },
			method: "POST", path: "/api/waba/events", ct: "application/json", jsonBody: true,
			body: `{"event":"reaction","msg_id":"123456789","emoji":""}`,
		},
		{
			name: "balance",
			call: func(c *client.Client) error {
				b, err := c.Balance(ctx)
				if err == nil && (b.Amount != 99.9265 || b.Currency != "EUR") {
					t.Errorf("balance = %+v", b)
				}
				return err
			},
			answer: answer{200, nil, `{"amount":99.9265,"currency":"EUR"}`},
			method: "GET", path: "/api/balance",
		},
		{
			name: "create hook",
			call: func(c *client.Client) error {
				id, err := c.CreateHook(ctx, client.Hook{TargetURL: "https://acme.inc/hook", EventType: "all", EventFilter: "4915112345678", RequestMethod: "JSON"})
				if err == nil && id != "1277" {
					t.Errorf("id = %q", id)
				}
				return err
			},
			answer: answer{200, nil, `{"success":true,"id":1277}`},
			method: "POST", path: "/api/hooks", ct: "application/x-www-form-urlencoded", formBody: true,
			body: "event_filter=4915112345678&event_type=all&request_method=JSON&target_url=https%3A%2F%2Facme.inc%2Fhook",
		},
		{
			name: "list hooks",
			call: func(c *client.Client) error {
				hooks, err := c.Hooks(ctx)
				if err == nil && (len(hooks) != 2 || hooks[0].ID != "410" || hooks[0].EventFilter != "49157123456789" || !hooks[0].Enabled || hooks[1].Enabled || hooks[1].RequestMethod != "JSON") {
					t.Errorf("hooks = %+v", hooks)
				}
				return err
			},
			answer: answer{200, nil, `{"success":true,"code":null,"hooks":[{"id":"410","target_url":"https://acme.inc/v1/webhooks","event_type":"sms_mo","event_filter":"49157123456789","request_method":"GET","enabled":true,"created":"2021-03-01 11:19:08"},{"id":"1277","target_url":"https://hooks.seven.io/hook","event_type":"all","event_filter":null,"request_method":"JSON","enabled":false,"created":"2021-12-30 13:33:02"}]}`},
			method: "GET", path: "/api/hooks",
		},
		{
			name:   "delete hook",
			call:   func(c *client.Client) error { return c.DeleteHook(ctx, "1277") },
			method: "DELETE", path: "/api/hooks", ct: "application/x-www-form-urlencoded", formBody: true, body: "id=1277",
		},
		{
			name: "analytics by date",
			call: func(c *client.Client) error {
				rows, err := c.Analytics(ctx, client.ByDate, client.AnalyticsQuery{Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Label: "campaign.x", Subaccounts: "all"})
				if err == nil && (len(rows) != 1 || rows[0].Date != "2026-11-24" || rows[0].UsageEUR != 0.147 || rows[0].Counts["whatsapp"] != 2 || rows[0].Counts["sms"] != 0) {
					t.Errorf("rows = %+v", rows)
				}
				return err
			},
			answer: answer{200, nil, `[{"date":"2026-11-24","sms":0,"rcs":0,"voice":0,"hlr":0,"mnp":0,"inbound":1,"whatsapp":2,"usage_eur":0.147}]`},
			method: "GET", path: "/api/analytics/date", query: "end=2026-11-25&label=campaign.x&start=2026-11-01&subaccounts=all",
		},
	}
	for _, signed := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			if signed {
				name += " (signed)"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				secret := ""
				var opts []client.Option
				if signed {
					secret = "signing-secret"
					opts = append(opts, client.WithSigningSecret(secret))
				}
				s := newSeven(t, secret)
				if tc.answer.status != 0 {
					s.answers = []answer{tc.answer}
				}
				if err := tc.call(s.client(opts...)); err != nil {
					t.Fatal(err)
				}
				got := s.requests()
				if len(got) != 1 {
					t.Fatalf("%d requests, want 1", len(got))
				}
				r := got[0]
				if r.Method != tc.method || r.Path != tc.path || r.Query != tc.query {
					t.Fatalf("request %s %s?%s, want %s %s?%s", r.Method, r.Path, r.Query, tc.method, tc.path, tc.query)
				}
				if r.Header.Get("X-Api-Key") != "KEY" || !strings.HasPrefix(r.Header.Get("User-Agent"), "openwaba-go/") {
					t.Errorf("headers = %v", r.Header)
				}
				if ct := r.Header.Get("Content-Type"); ct != tc.ct {
					t.Errorf("Content-Type = %q, want %q", ct, tc.ct)
				}
				if signed && len(r.Header.Get("X-Nonce")) != 32 {
					t.Errorf("X-Nonce = %q, want 32 characters", r.Header.Get("X-Nonce"))
				}
				switch {
				case tc.jsonBody:
					jsonEqual(t, r.Body, tc.body)
				case tc.formBody:
					want, _ := url.ParseQuery(tc.body)
					got, _ := url.ParseQuery(r.Body)
					if got.Encode() != want.Encode() {
						t.Fatalf("form body %q, want %q", r.Body, tc.body)
					}
				default:
					if r.Body != tc.body {
						t.Fatalf("body %q, want %q", r.Body, tc.body)
					}
				}
			})
		}
	}
}

func TestSignMatchesSevensExample(t *testing.T) {
	t.Parallel()
	// The string to sign of seven's documentation: timestamp, nonce,
	// method, URL and the MD5 of the body, one per line.
	body := []byte(`{"to": "49170123456789", "text": "Hello World! :-)", "from": "seven"}`)
	got := client.Sign("secret", "1634641200", "fpPRhAd1s8GXacfR39mWqKPynmmXfJnc", "post", "https://gateway.seven.io/api/sms", body)
	// Computed independently: printf '1634641200\nfpPRhAd1s8GXacfR39mWqKPynmmXfJnc\nPOST\nhttps://gateway.seven.io/api/sms\n%s' "$(printf '%s' "$body" | md5sum | cut -d' ' -f1)" | openssl dgst -sha256 -hmac secret
	const want = "342833a5ada2afab5d0327edc42ace4ebbf08fc74693818d0604f96f299400e1"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   answer
		sentinel error
		code     int
		message  string
	}{
		{"900", answer{401, nil, "900"}, client.ErrUnauthorized, 900, ""},
		{"902", answer{403, nil, "902"}, client.ErrForbidden, 902, ""},
		{"bad request", answer{400, nil, `{"error_code":400,"error_message":"Invalid WhatsApp sender number"}`}, client.ErrBadRequest, 400, "Invalid WhatsApp sender number"},
		{"event error", answer{400, nil, `{"success":false,"error_code":400,"error_message":"to: is required"}`}, client.ErrBadRequest, 400, "to: is required"},
		{"not found", answer{404, nil, `{"code":404,"message":"Page not found","errors":[]}`}, client.ErrNotFound, 404, "Page not found"},
		{"rate limited", answer{429, map[string]string{"Retry-After": "0", "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0"}, `{"error_code":429,"error_message":"Too Many Requests"}`}, client.ErrRateLimited, 429, "Too Many Requests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Answer every attempt the same.
			s := newSeven(t, "", tc.answer, tc.answer, tc.answer)
			err := s.client().Delete(context.Background(), "1")
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			apiErr, ok := errors.AsType[*client.APIError](err)
			if !ok || apiErr.Code != tc.code || apiErr.Message != tc.message || apiErr.Status != tc.answer.status {
				t.Fatalf("APIError = %+v", apiErr)
			}
			if tc.answer.status == 429 {
				rl, ok := errors.AsType[*client.RateLimitError](err)
				if !ok || rl.Limit != 10 || rl.Remaining != 0 {
					t.Fatalf("RateLimitError = %+v", rl)
				}
				if n := len(s.requests()); n != 3 {
					t.Fatalf("%d attempts, want 3 (2 retries)", n)
				}
			}
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	busy := answer{503, nil, `{"error_code":503,"error_message":"busy"}`}
	limited := answer{429, map[string]string{"Retry-After": "0"}, `{"error_code":429,"error_message":"slow down"}`}
	t.Run("send is retried with the same idempotency key", func(t *testing.T) {
		t.Parallel()
		s := newSeven(t, "", busy, limited, answer{200, nil, sendAnswer})
		r, err := s.client().Send(ctx, client.SendRequest{From: "1", To: []string{"2"}, Message: client.Text{Body: "x"}})
		if err != nil || r.IDs()[0] != "12345678" {
			t.Fatalf("send: %v %+v", err, r)
		}
		got := s.requests()
		if len(got) != 3 {
			t.Fatalf("%d attempts, want 3", len(got))
		}
		key := got[0].Header.Get("Idempotency-Key")
		if len(key) != 32 || got[1].Header.Get("Idempotency-Key") != key || got[2].Header.Get("Idempotency-Key") != key || got[2].Body != got[0].Body {
			t.Fatalf("attempts differ: %+v", got)
		}
	})
	t.Run("own idempotency key", func(t *testing.T) {
		t.Parallel()
		s := newSeven(t, "", answer{200, nil, sendAnswer})
		if _, err := s.client().Send(ctx, client.SendRequest{From: "1", To: []string{"2"}, Message: client.Text{Body: "x"}, IdempotencyKey: "order-17"}); err != nil {
			t.Fatal(err)
		}
		if k := s.requests()[0].Header.Get("Idempotency-Key"); k != "order-17" {
			t.Fatalf("Idempotency-Key = %q", k)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		t.Parallel()
		s := newSeven(t, "", busy, busy)
		err := s.client(client.WithRetries(0)).Delete(ctx, "1")
		if apiErr, ok := errors.AsType[*client.APIError](err); !ok || apiErr.Status != 503 || len(s.requests()) != 1 {
			t.Fatalf("err = %v after %d attempts", err, len(s.requests()))
		}
	})
	t.Run("client errors are not retried", func(t *testing.T) {
		t.Parallel()
		s := newSeven(t, "", answer{400, nil, `{"error_code":400,"error_message":"nope"}`})
		if err := s.client().Delete(ctx, "1"); !errors.Is(err, client.ErrBadRequest) || len(s.requests()) != 1 {
			t.Fatalf("err = %v after %d attempts", err, len(s.requests()))
		}
	})
	t.Run("events are not retried", func(t *testing.T) {
		t.Parallel()
		s := newSeven(t, "", busy, busy)
		if err := s.client().Typing(ctx, client.Conversation{From: "1", To: "2"}); err == nil || len(s.requests()) != 1 {
			t.Fatalf("err = %v after %d attempts", err, len(s.requests()))
		}
	})
	t.Run("a Retry-After past the deadline is not waited for", func(t *testing.T) {
		t.Parallel()
		later := answer{429, map[string]string{"Retry-After": "3600"}, `{"error_code":429,"error_message":"rate limit exceeded"}`}
		s := newSeven(t, "", later, later)
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		err := s.client().Delete(ctx, "1")
		rl, ok := errors.AsType[*client.RateLimitError](err)
		if !ok || rl.RetryAfter != time.Hour || ctx.Err() != nil || len(s.requests()) != 1 {
			t.Fatalf("err = %v after %d attempts", err, len(s.requests()))
		}
	})
	t.Run("network errors", func(t *testing.T) {
		t.Parallel()
		s := newSeven(t, "")
		s.srv.Close()
		err := s.client().Delete(ctx, "1")
		if _, ok := errors.AsType[*client.TransportError](err); !ok {
			t.Fatalf("err = %v, want a TransportError", err)
		}
	})
	t.Run("context ends the retries", func(t *testing.T) {
		t.Parallel()
		s := newSeven(t, "", busy, busy, busy)
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.client().Delete(ctx, "1"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestSendResponseEntries(t *testing.T) {
	t.Parallel()
	body := `{"success":"101","total_price":0,"balance":100,"debug":"false","sms_type":"WA","messages":[` +
		`{"id":"1","success":true,"error":null,"error_text":null},` +
		`{"id":null,"success":false,"error":"7002001","error_text":"Not in conversation."}]}`
	s := newSeven(t, "", answer{200, nil, body})
	r, err := s.client().Send(context.Background(), client.SendRequest{From: "1", To: []string{"2", "3"}, Message: client.Text{Body: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.IDs(); len(got) != 1 || got[0] != "1" {
		t.Fatalf("IDs = %v", got)
	}
	if r.Messages[0].Err() != nil || !errors.Is(r.Messages[1].Err(), client.ErrNotInConversation) || !errors.Is(r.Err(), client.ErrNotInConversation) {
		t.Fatalf("entry errors: %v %v %v", r.Messages[0].Err(), r.Messages[1].Err(), r.Err())
	}
}
