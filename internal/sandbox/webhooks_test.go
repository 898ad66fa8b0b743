package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStatusWebhooksArriveSignedAndInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.inbound(t, "Hallo")

	body := `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+` + testUser + `","type":"text",
		"text":{"body":"Hi there"},"biz_opaque_callback_data":"foreign-42"}`
	r := e.send(t, body)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.WAMID, "wamid.") {
		t.Fatalf("send: %d %v", r.Status, r.Body)
	}
	contacts := r.Body["contacts"].([]any)[0].(map[string]any)
	if contacts["input"] != "+"+testUser || contacts["wa_id"] != testUser {
		t.Errorf("contacts = %v", contacts)
	}
	if _, ok := r.Body["messages"].([]any)[0].(map[string]any)["message_status"]; ok {
		t.Error("a text send carries message_status; Meta puts it on templates")
	}
	for _, want := range []string{"sent", "delivered", "read"} {
		ev := e.rcv.next(t)
		if ev.WAMID != r.WAMID || ev.Status != want {
			t.Fatalf("got %s %s, want %s %s", ev.WAMID, ev.Status, r.WAMID, want)
		}
		if ev.Callback != "foreign-42" {
			t.Errorf("%s: biz_opaque_callback_data = %q", want, ev.Callback)
		}
		if want != "read" {
			if ev.Pricing["billable"] != false || ev.Pricing["category"] != "service" || ev.Pricing["pricing_model"] != "PMP" {
				t.Errorf("%s: pricing = %v", want, ev.Pricing)
			}
			if ev.Conversation["id"] == "" {
				t.Errorf("%s: conversation = %v", want, ev.Conversation)
			}
		}
	}
	e.rcv.quiet(t, 50*time.Millisecond)
}

func TestWebhooksEscapeNonASCII(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.inbound(t, "Grüße 😀 https://x.io")
	bodies := e.rcv.received()
	raw := bodies[len(bodies)-1]
	for _, b := range raw {
		if b >= 0x80 {
			t.Fatalf("webhook body has raw non-ASCII bytes: %s", raw)
		}
	}
	for _, want := range []string{`Gr\u00fc\u00dfe`, `\ud83d\ude00`, `https:\/\/x.io`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("body lacks %s: %s", want, raw)
		}
	}
}

func TestWebhookRetriedUntilTaken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.inbound(t, "hi")
	e.rcv.failNext(http.StatusInternalServerError, http.StatusServiceUnavailable)
	before := len(e.rcv.received())

	r := e.send(t, textBody("ping"))
	for _, want := range []string{"sent", "delivered", "read"} {
		if ev := e.rcv.next(t); ev.Status != want || ev.WAMID != r.WAMID {
			t.Fatalf("got %s, want %s", ev.Status, want)
		}
	}
	got := e.rcv.received()[before:]
	if len(got) != 5 {
		t.Fatalf("receiver saw %d posts, want 5 (sent refused twice, then sent, delivered, read)", len(got))
	}
	if !bytes.Equal(got[0], got[1]) || !bytes.Equal(got[1], got[2]) {
		t.Error("a redelivery differs from the first attempt")
	}
}

func TestReengagementFailureOutsideWindow(t *testing.T) {
	t.Parallel()
	t.Run("never wrote", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		r := e.send(t, textBody("hello?"))
		if r.Status != http.StatusOK || r.WAMID == "" {
			t.Fatalf("send outside the window is refused synchronously: %d %v", r.Status, r.Body)
		}
		ev := e.rcv.next(t)
		if ev.WAMID != r.WAMID || ev.Status != "failed" || ev.ErrorCode != 131047 {
			t.Fatalf("got %+v, want failed 131047", ev)
		}
		e.rcv.quiet(t, 50*time.Millisecond)
	})
	t.Run("window expired", func(t *testing.T) {
		t.Parallel()
		clock := &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
		e := newEnv(t, clock.now)
		e.inbound(t, "hi")
		clock.advance(23 * time.Hour)
		r := e.send(t, textBody("in time"))
		for _, want := range []string{"sent", "delivered", "read"} {
			if ev := e.rcv.next(t); ev.WAMID != r.WAMID || ev.Status != want {
				t.Fatalf("inside the window: %+v, want %s", ev, want)
			}
		}
		clock.advance(2 * time.Hour)
		r = e.send(t, textBody("too late"))
		if ev := e.rcv.next(t); ev.WAMID != r.WAMID || ev.Status != "failed" || ev.ErrorCode != 131047 {
			t.Fatalf("after 25h: %+v, want failed 131047", ev)
		}
	})
	t.Run("templates need no window", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		r := e.send(t, `{"messaging_product":"whatsapp","to":"`+testUser+`","type":"template",
			"template":{"name":"hello_world","language":{"code":"en"}}}`)
		if r.Status != http.StatusOK {
			t.Fatalf("template: %d %v", r.Status, r.Body)
		}
		if ms := r.Body["messages"].([]any)[0].(map[string]any); ms["message_status"] != "accepted" {
			t.Errorf("template answer lacks message_status accepted: %v", ms)
		}
		for _, want := range []string{"sent", "delivered", "read"} {
			ev := e.rcv.next(t)
			if ev.Status != want {
				t.Fatalf("got %s, want %s", ev.Status, want)
			}
			if want != "read" && (ev.Pricing["category"] != "marketing" || ev.Pricing["billable"] != true) {
				t.Errorf("pricing = %v, want billable marketing", ev.Pricing)
			}
		}
	})
}

func TestInbound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct {
		name    string
		display string
		answer  int
		wantErr string
	}{
		{"taken", testDisplay, http.StatusOK, ""},
		{"formatted differently", "15550783881", http.StatusOK, ""},
		{"unknown number", "+49 30 1234567", 0, "unknown business number"},
		{"receiver refuses", testDisplay, http.StatusInternalServerError, "500"},
	}
	for _, tt := range tests {
		// Not parallel: they share the receiver's answer queue.
		if tt.answer != http.StatusOK && tt.answer != 0 {
			e.rcv.failNext(tt.answer)
		}
		wamid, err := e.sb.Inbound(context.Background(), testUser, tt.display, "hi")
		if tt.wantErr == "" {
			if err != nil || !strings.HasPrefix(wamid, "wamid.") {
				t.Errorf("%s: Inbound = %q, %v", tt.name, wamid, err)
			}
			if ev := e.rcv.next(t); ev.WAMID != wamid {
				t.Errorf("%s: webhook for %s, want %s", tt.name, ev.WAMID, wamid)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	if _, err := e.sb.Inbound(context.Background(), testUser, "+49 30 1234567", "hi"); !errors.Is(err, ErrUnknownNumber) {
		t.Errorf("err = %v, want ErrUnknownNumber", err)
	}
}

func TestCloseStopsRetryingDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.inbound(t, "hi")
	e.rcv.failNext(500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	e.send(t, textBody("x"))
	time.Sleep(50 * time.Millisecond) // let the delivery loop start failing

	done := make(chan struct{})
	go func() { e.sb.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return while a delivery was retrying")
	}
	// After Close, sends are still answered but start no webhooks.
	if r := e.send(t, textBody("after close")); r.Status != http.StatusOK {
		t.Errorf("send after Close: %d", r.Status)
	}
	e.sb.Close() // idempotent
}

func TestConcurrentSendsDeliverEveryStatusInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.inbound(t, "hi")
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if r := e.send(t, textBody("msg "+string(rune('a'+i)))); r.Status != http.StatusOK {
				t.Errorf("send %d: %d", i, r.Status)
			}
		})
	}
	wg.Wait()
	seen := map[string][]string{}
	for range 3 * n {
		ev := e.rcv.next(t)
		seen[ev.WAMID] = append(seen[ev.WAMID], ev.Status)
	}
	if len(seen) != n {
		t.Fatalf("statuses for %d messages, want %d", len(seen), n)
	}
	for wamid, sts := range seen {
		if strings.Join(sts, ",") != "sent,delivered,read" {
			t.Errorf("%s: %v", wamid, sts)
		}
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestStatusSequences: audio messages are played after read; a marketing
// template to the pacing test recipients is answered held and reported
// held, then sent or paused; a utility template to them is not paced.
func TestStatusSequences(t *testing.T) {
	t.Parallel()
	template := func(to, name, lang string) string {
		return `{"messaging_product":"whatsapp","to":"` + to + `","type":"template","template":{"name":"` + name + `","language":{"code":"` + lang + `"}}}`
	}
	tests := []struct {
		name          string
		body          string
		window        bool
		messageStatus any // of the send answer; nil: none
		want          []string
	}{
		{"audio is played", `{"messaging_product":"whatsapp","to":"` + testUser + `","type":"audio","audio":{"link":"https://example.com/a.ogg"}}`, true,
			nil, []string{"sent", "delivered", "read", "played"}},
		{"held, then sent", template(HeldRecipient, "hello_world", "en"), false,
			"held_for_quality_assessment", []string{"held_for_quality_assessment", "sent", "delivered", "read"}},
		{"held, then paused", template(PausedRecipient, "hello_world", "en"), false,
			"held_for_quality_assessment", []string{"held_for_quality_assessment", "paused"}},
		{"utility templates are not paced", `{"messaging_product":"whatsapp","to":"` + PausedRecipient + `","type":"template","template":{"name":"order_confirmation","language":{"code":"en"},
			"components":[{"type":"body","parameters":[{"type":"text","text":"Max"},{"type":"text","text":"ORD-1"}]},
			{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"ORD-1"}]}]}}`, false,
			"accepted", []string{"sent", "delivered", "read"}},
		{"other recipients are not paced", template(testUser, "hello_world", "en"), false,
			"accepted", []string{"sent", "delivered", "read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			if tt.window {
				e.inbound(t, "hi")
			}
			r := e.send(t, tt.body)
			if r.Status != http.StatusOK {
				t.Fatalf("send: %d %v", r.Status, r.Body)
			}
			if got := r.Body["messages"].([]any)[0].(map[string]any)["message_status"]; got != tt.messageStatus {
				t.Errorf("message_status = %v, want %v", got, tt.messageStatus)
			}
			for _, want := range tt.want {
				ev := e.rcv.next(t)
				if ev.WAMID != r.WAMID || ev.Status != want {
					t.Fatalf("got %s %s, want %s", ev.WAMID, ev.Status, want)
				}
				billed := want == "sent" || want == "delivered"
				if (ev.Pricing != nil) != billed {
					t.Errorf("%s: pricing %v", want, ev.Pricing)
				}
			}
			e.rcv.quiet(t, 50*time.Millisecond)
		})
	}
}
