package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/client"
	"github.com/openwaba/openwaba/internal/sandbox"
)

// TestEveryStatusEndToEnd: the sandbox reports played for a voice
// message, and holds a marketing template to its pacing test recipients
// (held_for_quality_assessment in the send answer and in a status
// webhook), then sends or pauses it. Each status is journaled, moves the
// message forward, and reaches the customer's webhook as wa_status and,
// where seven has a report value, as dlr. A paused message is refunded.
func TestEveryStatusEndToEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		to       string
		message  client.Message
		final    string
		journal  []string
		webhooks []string // event:status, in order per message
		refunded bool
	}{
		{"voice message played", testUser, client.Audio{URL: "https://example.com/voice.ogg"}, "played",
			[]string{"queued", "sent", "delivered", "read", "played"},
			[]string{"dlr:TRANSMITTED", "wa_status:sent", "dlr:DELIVERED", "wa_status:delivered", "wa_status:read", "wa_status:played"}, false},
		{"held, then sent", sandbox.HeldRecipient, helloWorldDE, "read",
			[]string{"queued", "held_for_quality_assessment", "sent", "delivered", "read"},
			[]string{"dlr:BUFFERED", "wa_status:held_for_quality_assessment", "dlr:TRANSMITTED", "wa_status:sent", "dlr:DELIVERED", "wa_status:delivered", "wa_status:read"}, false},
		{"held, then paused", sandbox.PausedRecipient, helloWorldDE, "paused",
			[]string{"queued", "held_for_quality_assessment", "paused"},
			[]string{"dlr:BUFFERED", "wa_status:held_for_quality_assessment", "dlr:NOTDELIVERED", "wa_status:paused"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := startTestGateway(t)
			recv := newHookReceiver(t)
			if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"all","request_method":"JSON"}`); r.Status != 200 {
				t.Fatalf("create hook: %d %s", r.Status, r.Body)
			}
			if tt.message != helloWorldDE {
				g.openWindow(tt.to)
			}
			before := g.balance(t)
			id := sentID(t, g.sendMsg(client.SendRequest{To: []string{tt.to}, Message: tt.message}))
			m := g.waitStatus(id, tt.final)
			var journal []string
			for _, e := range m.Statuses {
				journal = append(journal, e.Status)
			}
			if !slices.Equal(journal, tt.journal) {
				t.Errorf("journal %v, want %v", journal, tt.journal)
			}
			got := recv.waitFor(t, id, len(tt.webhooks))
			if !slices.Equal(got, tt.webhooks) {
				t.Errorf("webhooks %v, want %v", got, tt.webhooks)
			}
			if tt.refunded {
				if m.ErrorText != openwaba.TextPaused {
					t.Errorf("error_text %q, want %q", m.ErrorText, openwaba.TextPaused)
				}
				waitFor(t, "the refund of the paused message", func() bool { return g.balance(t) == before })
			} else if after := g.balance(t); after >= before && tt.message == helloWorldDE {
				t.Errorf("balance %v after a delivered template, was %v: not charged", after, before)
			}
		})
	}
}

// balance is the account's balance.
func (g *testGateway) balance(t *testing.T) float64 {
	t.Helper()
	b, err := g.client().Balance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Amount
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor returns "event:status" of the first n webhooks about message
// id, in the order they arrived, once that many did.
func (r *hookReceiver) waitFor(t *testing.T, id string, n int) []string {
	t.Helper()
	var got []string
	waitFor(t, "webhooks of message "+id, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = got[:0]
		for _, env := range r.got {
			data, _ := env["data"].(map[string]any)
			if data["msg_id"] != id {
				continue
			}
			st, _ := data["status"].(string)
			got = append(got, env["webhook_event"].(string)+":"+st)
		}
		return len(got) >= n
	})
	return got
}

func TestStatusesInAnalytics(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ids := []string{
		sentID(t, g.sendMsg(client.SendRequest{To: []string{sandbox.HeldRecipient}, Message: helloWorldDE})),
		sentID(t, g.sendMsg(client.SendRequest{To: []string{sandbox.PausedRecipient}, Message: helloWorldDE})),
	}
	g.waitStatus(ids[0], "read")
	g.waitStatus(ids[1], "paused")
	r := g.do("GET", "/api/analytics", "")
	if r.Status != 200 {
		t.Fatalf("analytics: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{`"held":2`, `"paused":1`, `"sent":1`, `"read":1`, `"played":0`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("analytics %s lacks %s", r.Body, want)
		}
	}
}
