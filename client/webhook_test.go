package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba/client"
)

// signedWebhook builds a webhook request as the sender would: signed over
// the target URL and the exact body.
func signedWebhook(secret, method, target, contentType, body string, at time.Time, nonce string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set("X-Timestamp", ts)
	r.Header.Set("X-Nonce", nonce)
	r.Header.Set("X-Signature", client.Sign(secret, ts, nonce, method, target, []byte(body)))
	return r
}

func TestWebhookVerifier(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	const (
		secret = "whsec"
		target = "https://app.example.com/hooks/openwaba?tenant=7"
		nonce  = "0123456789abcdefghijABCDEFGHIJ01"
		// openwaba's payloads (internal/webhook).
		status  = `{"webhook_event":"wa_status","webhook_timestamp":"2026-11-25 10:00:03","data":{"msg_id":"12345678","status":"failed","wa_status":"failed","status_time":"2026-11-25 10:00:03","foreign_id":"order-1","label":null,"sender":"4915112345678","recipient":"4917612345678","wamid":"wamid.X","channel":"WA","price":0.0735,"error_code":131026,"error_text":"Message undeliverable"}}`
		inbound = `{"webhook_event":"wa_mo","webhook_timestamp":"2026-11-25 10:00:00","data":{"id":17,"wamid":"wamid.ABC","sender":"4917612345678","recipient":"4915112345678","time":"2026-11-25 10:00:00","type":"text","text":"Hi, I need help","profile_name":null,"content":{"type":"text","text":{"body":"Hi, I need help"}}}}`
	)
	v := client.WebhookVerifier{Secret: secret, Now: func() time.Time { return now }}
	tests := []struct {
		name    string
		req     func() *http.Request
		wantErr error
		check   func(t *testing.T, e *client.Event)
	}{
		{
			name: "status report",
			req: func() *http.Request {
				return signedWebhook(secret, "POST", target, "application/json", status, now, nonce)
			},
			check: func(t *testing.T, e *client.Event) {
				s, err := e.Status()
				if err != nil || e.Type != client.EventStatus || s.MsgID != "12345678" || s.Status != "failed" || s.WAStatus != "failed" || s.ForeignID != "order-1" || s.Label != "" ||
					s.ErrorCode != 131026 || s.ErrorText != "Message undeliverable" || s.Price != 0.0735 || s.WAMID != "wamid.X" || s.StatusTime != "2026-11-25 10:00:03" {
					t.Fatalf("status %+v, %v", s, err)
				}
			},
		},
		{
			name: "inbound message",
			req: func() *http.Request {
				return signedWebhook(secret, "POST", target, "application/json", inbound, now, nonce)
			},
			check: func(t *testing.T, e *client.Event) {
				in, err := e.Inbound()
				if err != nil || e.Type != client.EventInbound || in.ID != "17" || in.WAMID != "wamid.ABC" || in.Sender != "4917612345678" || in.Recipient != "4915112345678" ||
					in.Text != "Hi, I need help" || in.Time != "2026-11-25 10:00:00" || string(in.Content) != `{"text":{"body":"Hi, I need help"},"type":"text"}` {
					t.Fatalf("inbound %+v, %v", in, err)
				}
			},
		},
		{
			name: "form-encoded dlr (POST hooks)",
			req: func() *http.Request {
				return signedWebhook(secret, "POST", target, "application/x-www-form-urlencoded", "webhook_event=dlr&webhook_timestamp=2021-08-24+08%3A08%3A00&data%5Bmsg_id%5D=77149843739&data%5Bstatus%5D=DELIVERED&data%5Bprice%5D=0.0735&data%5Berror_code%5D=", now, nonce)
			},
			check: func(t *testing.T, e *client.Event) {
				s, err := e.Status()
				if err != nil || e.Type != client.EventDLR || s.MsgID != "77149843739" || s.Status != "DELIVERED" || s.Price != 0.0735 || e.Timestamp != "2021-08-24 08:08:00" {
					t.Fatalf("dlr %+v, %v", s, err)
				}
			},
		},
		{
			name: "form-encoded settlement (POST hooks)",
			req: func() *http.Request {
				return signedWebhook(secret, "POST", target, "application/x-www-form-urlencoded", "webhook_event=dlr&webhook_timestamp=x&data%5Bmsg_id%5D=7&data%5Bbillable%5D=false&data%5Bpricing_category%5D=utility&data%5Bpricing_type%5D=free_customer_service&data%5Bsettled_price%5D=0&data%5Buser_id%5D=DE.135&data%5Busername%5D=", now, nonce)
			},
			check: func(t *testing.T, e *client.Event) {
				s, err := e.Status()
				if err != nil || s.Billable == nil || *s.Billable || s.PricingCategory != "utility" || s.PricingType != "free_customer_service" ||
					s.SettledPrice == nil || *s.SettledPrice != 0 || s.UserID != "DE.135" || s.Username != "" {
					t.Fatalf("dlr %+v, %v", s, err)
				}
			},
		},
		{
			name: "query-encoded inbound (GET hooks)",
			req: func() *http.Request {
				return signedWebhook(secret, "GET", target+"&data%5Bcontent%5D=%7B%22type%22%3A%22text%22%7D&data%5Bid%5D=17&data%5Btext%5D=Hi&webhook_event=wa_mo&webhook_timestamp=x", "", "", now, nonce)
			},
			check: func(t *testing.T, e *client.Event) {
				in, err := e.Inbound()
				if err != nil || e.Type != client.EventInbound || in.ID != "17" || in.Text != "Hi" || string(in.Content) != `{"type":"text"}` {
					t.Fatalf("inbound %+v, %v", in, err)
				}
			},
		},
		{
			name: "body changed after signing",
			req: func() *http.Request {
				r := signedWebhook(secret, "POST", target, "application/json", status, now, nonce)
				r.Body = http.NoBody
				return r
			},
			wantErr: client.ErrInvalidSignature,
		},
		{
			name: "other secret",
			req: func() *http.Request {
				return signedWebhook("other", "POST", target, "application/json", status, now, nonce)
			},
			wantErr: client.ErrInvalidSignature,
		},
		{
			name: "other URL",
			req: func() *http.Request {
				// Signed for another tenant's URL, delivered to this one.
				r := signedWebhook(secret, "POST", "https://app.example.com/hooks/openwaba?tenant=8", "application/json", status, now, nonce)
				r.URL.RawQuery = "tenant=7"
				return r
			},
			wantErr: client.ErrInvalidSignature,
		},
		{
			name: "replayed later",
			req: func() *http.Request {
				return signedWebhook(secret, "POST", target, "application/json", status, now.Add(-time.Hour), nonce)
			},
			wantErr: client.ErrInvalidSignature,
		},
		{
			name: "unsigned",
			req: func() *http.Request {
				r := signedWebhook(secret, "POST", target, "application/json", status, now, nonce)
				r.Header.Del("X-Signature")
				return r
			},
			wantErr: client.ErrInvalidSignature,
		},
		{
			name: "not an envelope",
			req: func() *http.Request {
				return signedWebhook(secret, "POST", target, "application/json", `{"x":1}`, now, nonce)
			},
			wantErr: client.ErrInvalidWebhook,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := v.Parse(tc.req())
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, e)
		})
	}
}

func TestWebhookHandler(t *testing.T) {
	t.Parallel()
	now := time.Now()
	const body = `{"webhook_event":"wa_status","webhook_timestamp":"x","data":{"msg_id":"1","status":"read"}}`
	var got []string
	h := client.WebhookVerifier{Secret: "s", URL: "https://app.example.com/hook"}.Handler(func(_ *http.Request, e *client.Event) error {
		s, err := e.Status()
		if err != nil {
			return err
		}
		if s.Status == "read" && s.MsgID == "2" {
			return errors.New("database down")
		}
		got = append(got, s.MsgID+":"+s.Status)
		return nil
	})
	tests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		// The handler is mounted behind a proxy: the URL it verifies is
		// the registered one, not the one it sees.
		{"valid", signedWebhook("s", "POST", "https://app.example.com/hook", "application/json", body, now, "n"), 200},
		{"forged", signedWebhook("x", "POST", "https://app.example.com/hook", "application/json", body, now, "n"), 401},
		{"unreadable", signedWebhook("s", "POST", "https://app.example.com/hook", "application/json", "[]", now, "n"), 400},
		{"processing fails", signedWebhook("s", "POST", "https://app.example.com/hook", "application/json", strings.Replace(body, `"1"`, `"2"`, 1), now, "n"), 500},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tc.req)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.status)
		}
	}
	if len(got) != 1 || got[0] != "1:read" {
		t.Fatalf("handled %v", got)
	}
}

// A wa_mo with media decodes the same from JSON and from a form-encoded
// hook (where the gateway writes objects as their JSON text).
func TestInboundMediaEvent(t *testing.T) {
	t.Parallel()
	media := `{"id":"3","type":"image","mime_type":"image/jpeg","size":1234,"sha256":"ab","filename":"a.jpg","caption":"c","error":null}`
	jsonBody := `{"webhook_event":"wa_mo","webhook_timestamp":"x","data":{"id":"1","type":"image","media":` + media + `,"media_url":"https://gw/media/3?s=x"}}`
	form := url.Values{"webhook_event": {"wa_mo"}, "webhook_timestamp": {"x"}, "data[id]": {"1"}, "data[type]": {"image"},
		"data[media]": {media}, "data[media_url]": {"https://gw/media/3?s=x"}}.Encode()
	for _, c := range []struct{ ctype, body string }{{"application/json", jsonBody}, {"application/x-www-form-urlencoded", form}} {
		req := httptest.NewRequest("POST", "https://app.example.com/hook", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ctype)
		e, err := client.WebhookVerifier{}.Parse(req)
		if err != nil {
			t.Fatalf("%s: %v", c.ctype, err)
		}
		in, err := e.Inbound()
		if err != nil {
			t.Fatalf("%s: %v", c.ctype, err)
		}
		want := client.InboundMedia{ID: "3", Type: "image", MIMEType: "image/jpeg", Size: 1234, SHA256: "ab", Filename: "a.jpg", Caption: "c"}
		if in.Media == nil || *in.Media != want || in.MediaURL != "https://gw/media/3?s=x" {
			t.Errorf("%s: media %+v url %q", c.ctype, in.Media, in.MediaURL)
		}
	}
}
