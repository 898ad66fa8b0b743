package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// TestStatusReportsSignedAndInOrder: a message's statuses reach a dlr
// hook and a wa_status hook as seven's envelopes, signed, one after the
// other, with a stable event id and the hook's own headers.
func TestStatusReportsSignedAndInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dlr := newReceiver(t)
	was := newReceiver(t)
	e.hook(dlr.URL+"/dlr", openwaba.HookDLR, "JSON", "X-Customer: acme\nAuthorization: Bearer abc")
	e.hook(was.URL+"/status", openwaba.HookWAStatus, "JSON", "")
	e.message("wamid.s", openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead)

	type data struct {
		MsgID                                     string `json:"msg_id"`
		WAStatus                                  string `json:"wa_status"`
		StatusTime                                string `json:"status_time"`
		ForeignID                                 string `json:"foreign_id"`
		Status, Sender, Recipient, Channel, Label string
		WAMID                                     string
		Price                                     float64
	}
	decode := func(r received) (openwaba.HookEvent, data) {
		var env struct {
			Event     openwaba.HookEvent `json:"webhook_event"`
			Timestamp string             `json:"webhook_timestamp"`
			Data      data
		}
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatalf("body %s: %v", r.Body, err)
		}
		if _, err := time.Parse(webhook.TimeLayout, env.Timestamp); err != nil {
			t.Errorf("webhook_timestamp %q: %v", env.Timestamp, err)
		}
		return env.Event, env.Data
	}

	got := dlr.waitRequests(t, 2)
	for i, want := range []string{"TRANSMITTED", "DELIVERED"} {
		r := got[i]
		verify(t, r)
		ev, d := decode(r)
		if ev != openwaba.HookDLR || d.Status != want || d.MsgID != "1" || d.ForeignID != "order-7" || d.Label != "spring" ||
			d.Sender != ourNumber || d.Recipient != user || d.WAMID != "wamid.s" || d.Channel != "WA" || d.Price != 0.05 || d.StatusTime == "" {
			t.Errorf("dlr %d = %s %+v, want %s", i, ev, d, want)
		}
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Customer") != "acme" ||
			r.Header.Get("Authorization") != "Bearer abc" || !strings.HasPrefix(r.Header.Get("X-Webhook-Id"), "owh_") {
			t.Errorf("dlr %d headers %v", i, r.Header)
		}
	}
	got = was.waitRequests(t, 3)
	for i, want := range []string{"sent", "delivered", "read"} {
		verify(t, got[i])
		if ev, d := decode(got[i]); ev != openwaba.HookWAStatus || d.Status != want || d.WAStatus != want || d.MsgID != "1" {
			t.Errorf("wa_status %d = %s %+v, want %s", i, ev, d, want)
		}
	}
	ids := map[string]bool{}
	for _, r := range append(dlr.requests(), was.requests()...) {
		ids[r.Header.Get("X-Webhook-Id")] = true
	}
	if len(ids) != 5 {
		t.Errorf("%d distinct event ids for 5 events", len(ids))
	}
}

// TestRetries: timeouts, connection errors, 429 and 5xx are retried
// until the receiver takes the webhook, and the events behind it wait.
func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answers []int
		slow    bool
	}{
		{"500 then 200", []int{500, 200}, false},
		{"503, 429, 502 then 200", []int{503, 429, 502, 200}, false},
		{"timeout then 200", []int{200, 200}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *webhook.Config) { c.Timeout = 200 * time.Millisecond })
			r := newReceiver(t, tc.answers...)
			if tc.slow {
				r.delay = []time.Duration{time.Second}
			}
			e.hook(r.URL, openwaba.HookWAStatus, "JSON", "")
			e.message("wamid.r", openwaba.StatusSent, openwaba.StatusDelivered)
			want := len(tc.answers) + 1 // the sent report until it is taken, then delivered
			got := r.waitRequests(t, want)
			var statuses []string
			for _, g := range got {
				var env struct{ Data struct{ Status string } }
				json.Unmarshal(g.Body, &env)
				statuses = append(statuses, env.Data.Status)
			}
			wantStatuses := append(strings.Split(strings.Repeat("sent,", len(tc.answers)), ",")[:len(tc.answers)], "delivered")
			if strings.Join(statuses, ",") != strings.Join(wantStatuses, ",") {
				t.Errorf("received %v, want %v", statuses, wantStatuses)
			}
			for i, g := range got[:len(tc.answers)] {
				if g.Header.Get("X-Webhook-Id") != got[0].Header.Get("X-Webhook-Id") || g.Header.Get("X-Webhook-Attempt") != strconv.Itoa(i+1) {
					t.Errorf("attempt %d: id %s, X-Webhook-Attempt %s", i+1, g.Header.Get("X-Webhook-Id"), g.Header.Get("X-Webhook-Attempt"))
				}
			}
			if dead, _ := e.store.DeadDeliveries(t.Context(), e.account.ID); len(dead) != 0 {
				t.Errorf("dead: %+v", dead)
			}
		})
	}
}

// TestReceiverDown: a receiver that is not listening gets the webhook
// once it is.
func TestReceiverDown(t *testing.T) {
	t.Parallel()
	attempts := &countingTransport{next: webhook.NewClient(time.Second, true).Transport}
	e := newEnv(t, func(c *webhook.Config) {
		c.Client = &http.Client{Transport: attempts, Timeout: time.Second}
		c.Retries = []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond,
			20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, time.Second}
	})
	r := newReceiver(t)
	addr := r.Listener.Addr().String()
	r.Close() // down
	e.hook("http://"+addr+"/hook", openwaba.HookDLR, "JSON", "")
	e.message("wamid.down", openwaba.StatusSent)
	waitFor(t, "two failed attempts", func() (int64, bool) { n := attempts.n.Load(); return n, n >= 2 })
	up := newReceiverOn(t, addr) // back, on the same address
	got := up.waitRequests(t, 1)
	verify(t, got[0])
	if dead, _ := e.store.DeadDeliveries(t.Context(), e.account.ID); len(dead) != 0 {
		t.Errorf("dead: %+v", dead)
	}
}

// TestFinalAnswersDeadLetterAndReplay: 410 and other 4xx are final: the
// delivery is dead at once, listed, and replayable; giving up after the
// last retry dead-letters too.
func TestFinalAnswersDeadLetterAndReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := newReceiver(t, http.StatusGone, 500, 500, 500, 500)
	e.hook(r.URL, openwaba.HookDLR, "JSON", "")
	e.message("wamid.gone", openwaba.StatusSent)
	dead := e.dead(1)
	if dead[0].LastError != "HTTP 410" || dead[0].Attempts != 1 || len(r.requests()) != 1 {
		t.Fatalf("dead %+v after %d requests", dead[0], len(r.requests()))
	}
	// Replayed: 500 four times is one attempt more than the three retries.
	if err := e.store.ReplayDelivery(t.Context(), e.account.ID, dead[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.d.Notify()
	r.waitRequests(t, 5)
	dead = e.dead(1)
	if !strings.HasPrefix(dead[0].LastError, "gave up after 4 attempts: HTTP 500") {
		t.Fatalf("dead %+v", dead[0])
	}
	// Fixed receiver: the replay is delivered, with the same event id.
	if err := e.store.ReplayDelivery(t.Context(), e.account.ID, dead[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.d.Notify()
	got := r.waitRequests(t, 6)
	if got[5].Header.Get("X-Webhook-Id") != got[0].Header.Get("X-Webhook-Id") {
		t.Error("the replay has another event id")
	}
	e.dead(0)
}

// TestRequestMethods: POST sends seven's form fields, GET the same in the
// query string; both are signed over what is sent.
func TestRequestMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	post := newReceiver(t)
	get := newReceiver(t)
	e.hook(post.URL+"/p", openwaba.HookDLR, "POST", "")
	e.hook(get.URL+"/g?token=abc", openwaba.HookDLR, "GET", "")
	e.message("wamid.m", openwaba.StatusFailed)

	p := post.waitRequests(t, 1)[0]
	verify(t, p)
	form, _ := url.ParseQuery(string(p.Body))
	if p.Method != "POST" || p.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		form.Get("webhook_event") != "dlr" || form.Get("data[status]") != "NOTDELIVERED" || form.Get("data[wa_status]") != "failed" ||
		form.Get("data[error_code]") != "131026" || form.Get("data[error_text]") != "Message undeliverable" || form.Get("data[price]") != "0.05" {
		t.Errorf("POST %s %v", p.Body, p.Header)
	}
	g := get.waitRequests(t, 1)[0]
	verify(t, g)
	u, _ := url.Parse(g.URL)
	q := u.Query()
	if g.Method != "GET" || len(g.Body) != 0 || q.Get("token") != "abc" || q.Get("data[status]") != "NOTDELIVERED" || q.Get("data[msg_id]") != "1" {
		t.Errorf("GET %s", g.URL)
	}
}

// TestInboundPayload: a wa_mo event carries who wrote, to which number,
// the type, the text and WhatsApp's message object.
func TestInboundPayload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := newReceiver(t)
	e.hook(r.URL, openwaba.HookWAMO, "JSON", "")
	_, err := e.store.RecordInbound(t.Context(), openwaba.InboundMessage{
		AccountID: e.account.ID, Sender: ourNumber, From: user, WAMID: "wamid.in", Type: "text", Text: "Hallo!",
		Payload: []byte(`{"from":"4917612345678","id":"wamid.in","type":"text","text":{"body":"Hallo!"}}`), ProfileName: "Anna",
		SentAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.d.Notify()
	got := r.waitRequests(t, 1)[0]
	verify(t, got)
	var env struct {
		Event string `json:"webhook_event"`
		Data  struct {
			ID, WAMID, Sender, Recipient, Time, Type, Text string
			ProfileName                                    string `json:"profile_name"`
			Content                                        struct{ Text struct{ Body string } }
		}
	}
	if err := json.Unmarshal(got.Body, &env); err != nil {
		t.Fatal(err)
	}
	d := env.Data
	if env.Event != "wa_mo" || d.WAMID != "wamid.in" || d.Sender != user || d.Recipient != ourNumber || d.Type != "text" ||
		d.Text != "Hallo!" || d.ProfileName != "Anna" || d.Time != "2026-11-25 09:00:00" || d.Content.Text.Body != "Hallo!" || d.ID == "" {
		t.Errorf("wa_mo %s", got.Body)
	}
}

// TestPrivateTargetsRefused: without AllowPrivate, the dialer refuses a
// loopback target, and the delivery is dead rather than retried.
func TestPrivateTargetsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *webhook.Config) { c.AllowPrivate = false })
	r := newReceiver(t)
	e.hook(r.URL, openwaba.HookDLR, "JSON", "")
	e.message("wamid.p", openwaba.StatusSent)
	dead := e.dead(1)
	if !strings.Contains(dead[0].LastError, "not public") || len(r.requests()) != 0 {
		t.Fatalf("dead %+v, %d requests", dead[0], len(r.requests()))
	}
}

func TestCheckTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://hooks.example.com/x", false, true},
		{"http://93.184.216.34/x", false, true},
		{"ftp://example.com/x", false, false},
		{"https:///x", false, false},
		{"https://user:pw@example.com/x", false, false},
		{"not a url", false, false},
		{"http://127.0.0.1:8080/x", false, false},
		{"http://localhost/x", false, false},
		{"http://api.localhost/x", false, false},
		{"http://10.1.2.3/x", false, false},
		{"http://192.168.0.1/x", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://100.64.0.1/x", false, false},
		{"http://[::1]/x", false, false},
		{"http://[fd00::1]/x", false, false},
		{"http://[::ffff:127.0.0.1]/x", false, false},
		{"http://0.0.0.0/x", false, false},
		{"http://[::127.0.0.1]/x", false, false},
		{"http://[64:ff9b::7f00:1]/x", false, false},
		{"http://[2002:7f00:1::1]/x", false, false},
		{"http://198.18.0.1/x", false, false},
		{"http://255.255.255.255/x", false, false},
		{"http://[fe80::1%25eth0]/x", false, false},
		{"http://[fec0::1]/x", false, false},
		{"http://[64:ff9b::808:808]/x", false, true},
		{"http://127.0.0.1:8080/x", true, true},
	}
	for _, tc := range tests {
		err := webhook.CheckTarget(context.Background(), tc.url, tc.allowPrivate, nil)
		if (err == nil) != tc.ok {
			t.Errorf("CheckTarget(%q, %v) = %v, want ok %v", tc.url, tc.allowPrivate, err, tc.ok)
		}
	}
}

func TestDLRStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		st       openwaba.Status
		hadWAMID bool
		want     string
	}{
		{openwaba.StatusSent, true, "TRANSMITTED"},
		{openwaba.StatusDelivered, true, "DELIVERED"},
		{openwaba.StatusRead, true, "DELIVERED"},
		{openwaba.StatusPlayed, true, "DELIVERED"},
		{openwaba.StatusHeld, true, "BUFFERED"},
		{openwaba.StatusPaused, true, "NOTDELIVERED"},
		{openwaba.StatusExpired, false, "EXPIRED"},
		{openwaba.StatusFailed, true, "NOTDELIVERED"},
		{openwaba.StatusFailed, false, "REJECTED"},
		{openwaba.StatusQueued, false, "ACCEPTED"},
		{openwaba.StatusDeleted, false, "FAILED"},
	}
	for _, tc := range tests {
		if got := webhook.DLRStatus(tc.st, tc.hadWAMID); got != tc.want {
			t.Errorf("DLRStatus(%s, %v) = %s, want %s", tc.st, tc.hadWAMID, got, tc.want)
		}
	}
}
