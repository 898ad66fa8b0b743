package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testToken   = "test-token"
	testSecret  = "test-app-secret"
	testPhoneID = "106540352242922"
	testWABA    = "102290129340398"
	testDisplay = "+1 555 078 3881"
	testUser    = "491701234567"
)

// receiver is a real HTTP server taking webhooks. It checks signatures
// with its own HMAC code and answers with the queued statuses first, then
// 200.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	answer []int
	bodies [][]byte
	events chan event
}

// event is one status or message of a received webhook.
type event struct {
	WAMID        string
	Status       string // "" for an inbound message
	Callback     string
	ErrorCode    int
	Pricing      map[string]any
	Conversation map[string]any
	Raw          []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{t: t, events: make(chan event, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// failNext makes the receiver answer the next webhooks with these statuses.
func (r *receiver) failNext(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = append(r.answer, statuses...)
}

func (r *receiver) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if req.Header.Get("X-Hub-Signature-256") != want {
		r.t.Errorf("webhook signature %q, want %q", req.Header.Get("X-Hub-Signature-256"), want)
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	status := http.StatusOK
	if len(r.answer) > 0 {
		status, r.answer = r.answer[0], r.answer[1:]
	}
	r.mu.Unlock()
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	var env struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string `json:"id"`
			Changes []struct {
				Field string `json:"field"`
				Value struct {
					Metadata struct {
						PhoneNumberID string `json:"phone_number_id"`
					} `json:"metadata"`
					Messages []struct {
						ID string `json:"id"`
					} `json:"messages"`
					Statuses []struct {
						ID           string         `json:"id"`
						Status       string         `json:"status"`
						Callback     string         `json:"biz_opaque_callback_data"`
						Pricing      map[string]any `json:"pricing"`
						Conversation map[string]any `json:"conversation"`
						Errors       []struct {
							Code int `json:"code"`
						} `json:"errors"`
					} `json:"statuses"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		r.t.Errorf("webhook body: %v", err)
	}
	if env.Object != "whatsapp_business_account" || len(env.Entry) != 1 || env.Entry[0].ID != testWABA {
		r.t.Errorf("webhook envelope: %s", body)
	}
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				// A management field (template, number health): its
				// body is the event.
				r.events <- event{Status: "field:" + c.Field, Raw: body}
				continue
			}
			if c.Value.Metadata.PhoneNumberID != testPhoneID {
				r.t.Errorf("webhook change: %s", body)
			}
			for _, m := range c.Value.Messages {
				r.events <- event{WAMID: m.ID, Raw: body}
			}
			for _, s := range c.Value.Statuses {
				ev := event{WAMID: s.ID, Status: s.Status, Callback: s.Callback, Pricing: s.Pricing, Conversation: s.Conversation, Raw: body}
				if len(s.Errors) > 0 {
					ev.ErrorCode = s.Errors[0].Code
				}
				r.events <- ev
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// next waits for the next webhook event.
func (r *receiver) next(t *testing.T) event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook within 5s")
		return event{}
	}
}

// quiet asserts that no webhook event arrives for d.
func (r *receiver) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-r.events:
		t.Fatalf("unexpected webhook: %s %s", ev.WAMID, ev.Status)
	case <-time.After(d):
	}
}

type env struct {
	sb  *Sandbox
	srv *httptest.Server
	rcv *receiver
}

// newEnv starts a sandbox over real HTTP with a receiver for its
// webhooks. The clock is real unless now is given.
func newEnv(t *testing.T, now func() time.Time) *env {
	t.Helper()
	rcv := newReceiver(t)
	sb := New(Config{
		AccessToken: testToken,
		AppSecret:   testSecret,
		WebhookURL:  rcv.srv.URL + "/webhooks/meta",
		StatusDelay: 5 * time.Millisecond,
		Now:         now,
	})
	sb.backoffStart = 10 * time.Millisecond
	sb.AddNumber(testPhoneID, testWABA, testDisplay)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close) // runs first: stops webhooks before the servers go
	return &env{sb: sb, srv: srv, rcv: rcv}
}

// response is a decoded Graph answer.
type response struct {
	Status  int
	Body    map[string]any
	Code    int
	Details string
	WAMID   string
	Version string // facebook-api-version header
}

func (e *env) do(t *testing.T, method, path, token, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Version: resp.Header.Get("facebook-api-version")}
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	if eo, ok := r.Body["error"].(map[string]any); ok {
		r.Code = int(eo["code"].(float64))
		if ed, ok := eo["error_data"].(map[string]any); ok {
			r.Details, _ = ed["details"].(string)
		}
	}
	if ms, ok := r.Body["messages"].([]any); ok && len(ms) > 0 {
		r.WAMID, _ = ms[0].(map[string]any)["id"].(string)
	}
	return r
}

// send posts a body to the messages endpoint of the test number.
func (e *env) send(t *testing.T, body string) response {
	t.Helper()
	return e.do(t, http.MethodPost, "/v23.0/"+testPhoneID+"/messages", testToken, body)
}

func (e *env) inbound(t *testing.T, text string) string {
	t.Helper()
	wamid, err := e.sb.Inbound(context.Background(), testUser, testDisplay, text)
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.rcv.next(t); ev.WAMID != wamid || ev.Status != "" {
		t.Fatalf("inbound webhook %+v, want message %s", ev, wamid)
	}
	return wamid
}

// textBody is a text message to the test user.
func textBody(text string) string {
	b, _ := json.Marshal(map[string]any{
		"messaging_product": "whatsapp", "to": testUser, "type": "text",
		"text": map[string]any{"body": text},
	})
	return string(b)
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(b))
}
