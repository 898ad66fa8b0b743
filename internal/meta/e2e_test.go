package meta_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/sandbox"
)

// The sandbox's signed webhooks go through the adapter's handler into the
// sink: signature, escaping and parsing agree end to end.

func TestInboundReachesSink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []string{"Hallo", "Grüße 👋 aus Köln: https://example.com/a?b=1&c=<2>"}
	for _, text := range tests {
		wamid, err := e.sb.Inbound(context.Background(), user, display, text)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := e.sink.next(t).(openwaba.InboundMessage)
		if !ok {
			t.Fatal("sink got no inbound message")
		}
		if m.WAMID != wamid || m.From != user || m.Type != "text" || m.Text != text || m.ProfileName != sandbox.InboundProfileName || m.SentAt.IsZero() {
			t.Errorf("inbound = %+v", m)
		}
	}
	n := e.sink.notifications()[0]
	if c := n.Changes[0]; c.PhoneNumberID != phoneID || c.DisplayPhoneNumber != display || c.WABAID != wabaID {
		t.Errorf("change = %+v", c)
	}
}

func TestStatusesReachSinkInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.openWindow(t)
	e.sink.next(t) // the inbound message
	m := textMessage("Danke!")
	m.ForeignID = "crm-77"
	wamid, err := e.client.Send(context.Background(), sender, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead} {
		u, ok := e.sink.next(t).(openwaba.StatusUpdate)
		if !ok || u.WAMID != wamid || u.Status != want || u.CallbackData != "crm-77" || u.Recipient != user || u.At.IsZero() {
			t.Fatalf("got %+v, want %s of %s", u, want, wamid)
		}
	}
}

func TestOutsideWindowFailsAsync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wamid, err := e.client.Send(context.Background(), sender, textMessage("anyone there?"))
	if err != nil {
		t.Fatalf("Send outside the window failed synchronously: %v", err)
	}
	u, ok := e.sink.next(t).(openwaba.StatusUpdate)
	if !ok || u.WAMID != wamid || u.Status != openwaba.StatusFailed || u.ErrorCode != openwaba.MetaCodeReengagement ||
		!strings.Contains(u.ErrorText, "Re-engagement message") || !strings.Contains(u.ErrorText, "24 hours") {
		t.Fatalf("got %+v, want failed 131047", u)
	}
}

func TestRefusedWebhookIsRedelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sink.setFailing(errors.New("database down"))
	if _, err := e.sb.Inbound(context.Background(), user, display, "hi"); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Inbound with a failing sink: %v, want the receiver's 500", err)
	}
	// The sandbox already retries the template's statuses; once the sink
	// recovers they arrive, in order.
	m := openwaba.Message{Recipient: user, Content: openwaba.Content{Type: openwaba.TypeTemplate,
		Template: &openwaba.TemplateSend{Name: "hello_world", Language: "en"}}}
	wamid, err := e.client.Send(context.Background(), sender, m)
	if err != nil {
		t.Fatal(err)
	}
	// Recover only after the first status was refused.
	deadline := time.Now().Add(5 * time.Second)
	for e.sink.refusedCount() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the sent status never reached the failing sink")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.sink.setFailing(nil)
	for _, want := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead} {
		if u, ok := e.sink.next(t).(openwaba.StatusUpdate); !ok || u.WAMID != wamid || u.Status != want {
			t.Fatalf("got %+v, want %s", u, want)
		}
	}
}
