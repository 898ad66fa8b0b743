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
	sub, err := e.client.Send(context.Background(), sender, m)
	wamid := sub.WAMID
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
	sub, err := e.client.Send(context.Background(), sender, textMessage("anyone there?"))
	wamid := sub.WAMID
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
	sub, err := e.client.Send(context.Background(), sender, m)
	wamid := sub.WAMID
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

// Every type of message the sandbox's user can send arrives shaped as
// Meta's schema for it says, and is parsed with its type and text; the
// raw message object is kept as the payload.
func TestEveryInboundTypeReachesSink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	answered := e.openWindow(t) // the message buttons, replies and reactions refer to
	e.sink.next(t)
	tests := []struct {
		msg      sandbox.UserMessage
		wantType string
		wantText string
	}{
		{sandbox.UserMessage{Type: sandbox.InboundText, Text: "Hallo"}, "text", "Hallo"},
		{sandbox.UserMessage{Type: sandbox.InboundImage, Text: "Foto"}, "image", "Foto"},
		{sandbox.UserMessage{Type: sandbox.InboundVideo, Text: "Film"}, "video", "Film"},
		{sandbox.UserMessage{Type: sandbox.InboundAudio}, "audio", ""},
		{sandbox.UserMessage{Type: sandbox.InboundDocument, Text: "Rechnung", Filename: "r.pdf"}, "document", "Rechnung"},
		{sandbox.UserMessage{Type: sandbox.InboundSticker}, "sticker", ""},
		{sandbox.UserMessage{Type: sandbox.InboundLocation, Latitude: 52.52, Longitude: 13.405}, "location", ""},
		{sandbox.UserMessage{Type: sandbox.InboundContacts, Name: "Anna"}, "contacts", ""},
		{sandbox.UserMessage{Type: sandbox.InboundButton, Text: "Stop", Context: answered}, "button", "Stop"},
		{sandbox.UserMessage{Type: sandbox.InboundButtonReply, Text: "Ja", Context: answered}, "interactive", "Ja"},
		{sandbox.UserMessage{Type: sandbox.InboundListReply, Text: "Express", Context: answered}, "interactive", "Express"},
		{sandbox.UserMessage{Type: sandbox.InboundReaction, Emoji: "❤️", Context: answered}, "reaction", "❤️"},
		{sandbox.UserMessage{Type: sandbox.InboundReaction, Context: answered}, "reaction", ""}, // removed
		{sandbox.UserMessage{Type: sandbox.InboundSystem}, "system", "changed from " + user},
		{sandbox.UserMessage{Type: sandbox.InboundUnsupported}, "unsupported", ""},
	}
	if len(tests) < len(sandbox.InboundTypes) {
		t.Fatalf("%d cases for %d types", len(tests), len(sandbox.InboundTypes))
	}
	for _, tt := range tests {
		wamid, err := e.sb.InboundMessage(context.Background(), user, display, tt.msg)
		if err != nil {
			t.Fatalf("%s: %v", tt.msg.Type, err)
		}
		m, ok := e.sink.next(t).(openwaba.InboundMessage)
		if !ok || m.WAMID != wamid || m.Type != tt.wantType || !strings.Contains(m.Text, tt.wantText) || m.From != user {
			t.Errorf("%s: got %+v, want type %s text %q", tt.msg.Type, m, tt.wantType, tt.wantText)
		}
		if tt.wantText == "" && m.Text != "" && tt.msg.Type != sandbox.InboundReaction {
			t.Errorf("%s: text %q, want none", tt.msg.Type, m.Text)
		}
		if err := loadSpec(t).ValidateInbound(m.Payload); err != nil {
			t.Errorf("%s: %s does not conform: %v", tt.msg.Type, m.Payload, err)
		}
		if wantProfile := tt.msg.Type != sandbox.InboundSystem; (m.ProfileName != "") != wantProfile {
			t.Errorf("%s: profile %q", tt.msg.Type, m.ProfileName)
		}
	}
	// Answers need what they answer; unknown types are refused.
	for _, um := range []sandbox.UserMessage{{Type: sandbox.InboundReaction, Emoji: "👍"}, {Type: sandbox.InboundButton}, {Type: "hologram"}, {Type: sandbox.InboundText}} {
		if _, err := e.sb.InboundMessage(context.Background(), user, display, um); !errors.Is(err, sandbox.ErrInvalidUserMessage) {
			t.Errorf("%+v: err %v, want ErrInvalidUserMessage", um, err)
		}
	}
}
