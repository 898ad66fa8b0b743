package storetest

import (
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var inboundTests = []test{
	{"RecordAndFind", testRecordInbound},
	{"Dedupe", testInboundDedupe},
	{"LastInbound", testLastInbound},
	{"Windows", testWindows},
}

func inbound(accountID int64, wamid, from string, sent time.Time, text string) openwaba.InboundMessage {
	return openwaba.InboundMessage{
		AccountID:   accountID,
		Sender:      sender1,
		From:        from,
		WAMID:       wamid,
		Type:        "text",
		Text:        text,
		Payload:     []byte(`{"type":"text","text":{"body":"` + text + `"}}`),
		ProfileName: "Alice",
		SentAt:      sent,
		ReceivedAt:  sent.Add(time.Second),
	}
}

func record(t *testing.T, s openwaba.Store, m openwaba.InboundMessage) bool {
	t.Helper()
	dup, err := s.RecordInbound(t.Context(), m)
	wantErr(t, "RecordInbound", err, nil)
	return dup
}

func testRecordInbound(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	in := inbound(a.ID, "wamid.in1", recipient1, t0, "hi")
	if record(t, s, in) {
		t.Fatal("first sight reported as duplicate")
	}
	got, err := s.InboundByWAMID(t.Context(), a.ID, "wamid.in1")
	wantErr(t, "InboundByWAMID", err, nil)
	if got.ID == 0 {
		t.Error("stored inbound message has no ID")
	}
	in.ID = got.ID
	in.User = openwaba.User{WaID: recipient1} // what From names, as the store completes it
	equal(t, "InboundByWAMID", got, in)

	_, err = s.InboundByWAMID(t.Context(), b.ID, "wamid.in1")
	wantErr(t, "InboundByWAMID of another account", err, openwaba.ErrNotFound)
	_, err = s.InboundByWAMID(t.Context(), a.ID, "wamid.unknown")
	wantErr(t, "InboundByWAMID of an unknown wamid", err, openwaba.ErrNotFound)
}

func testInboundDedupe(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	first := inbound(a.ID, "wamid.in1", recipient1, t0, "hi")
	record(t, s, first)
	// WhatsApp retries a webhook: same wamid, later. Nothing may change,
	// neither the message nor the window.
	retry := inbound(a.ID, "wamid.in1", recipient1, t0.Add(time.Hour), "changed")
	if !record(t, s, retry) {
		t.Error("a repeated wamid was not reported as duplicate")
	}
	got, err := s.InboundByWAMID(t.Context(), a.ID, "wamid.in1")
	wantErr(t, "InboundByWAMID", err, nil)
	if got.Text != "hi" || !got.SentAt.Equal(t0) {
		t.Errorf("duplicate overwrote the message: %+v", got)
	}
	until, err := s.WindowOpenUntil(t.Context(), sender1, recipient1)
	wantErr(t, "WindowOpenUntil", err, nil)
	if want := t0.Add(openwaba.ConversationWindow); !until.Equal(want) {
		t.Errorf("window until %v, want %v: a duplicate must not extend it", until, want)
	}
}

func testLastInbound(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	_, err := s.LastInbound(t.Context(), a.ID, sender1, recipient1)
	wantErr(t, "LastInbound before any", err, openwaba.ErrNotFound)

	record(t, s, inbound(a.ID, "wamid.1", recipient1, t0, "one"))
	record(t, s, inbound(a.ID, "wamid.3", recipient1, t0.Add(10*time.Minute), "three"))
	// Arrives last but was written before wamid.3.
	record(t, s, inbound(a.ID, "wamid.2", recipient1, t0.Add(5*time.Minute), "two"))
	record(t, s, inbound(a.ID, "wamid.other", recipient2, t0.Add(time.Hour), "other user"))

	got, err := s.LastInbound(t.Context(), a.ID, sender1, recipient1)
	wantErr(t, "LastInbound", err, nil)
	if got.WAMID != "wamid.3" {
		t.Errorf("LastInbound = %s (%q), want the newest by WhatsApp's time, wamid.3", got.WAMID, got.Text)
	}
	_, err = s.LastInbound(t.Context(), b.ID, sender1, recipient1)
	wantErr(t, "LastInbound of another account", err, openwaba.ErrNotFound)
	_, err = s.LastInbound(t.Context(), a.ID, sender2, recipient1)
	wantErr(t, "LastInbound to another sender", err, openwaba.ErrNotFound)
}

func testWindows(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	window := func(sender, user string) time.Time {
		t.Helper()
		until, err := s.WindowOpenUntil(t.Context(), sender, user)
		wantErr(t, "WindowOpenUntil", err, nil)
		return until
	}
	if until := window(sender1, recipient1); !until.IsZero() {
		t.Errorf("window until %v before the user wrote, want zero", until)
	}

	steps := []struct {
		wamid string
		sent  time.Time
		want  time.Time
	}{
		{"wamid.1", t0, t0.Add(24 * time.Hour)},
		{"wamid.old", t0.Add(-time.Hour), t0.Add(24 * time.Hour)}, // late webhook: no shortening
		{"wamid.2", t0.Add(2 * time.Hour), t0.Add(26 * time.Hour)},
	}
	for _, st := range steps {
		record(t, s, inbound(a.ID, st.wamid, recipient1, st.sent, "hi"))
		if until := window(sender1, recipient1); !until.Equal(st.want) {
			t.Errorf("after %s: window until %v, want %v", st.wamid, until, st.want)
		}
	}
	if until := window(sender1, recipient2); !until.IsZero() {
		t.Errorf("another user's window is open until %v", until)
	}
	if until := window(sender2, recipient1); !until.IsZero() {
		t.Errorf("another sender's window is open until %v", until)
	}

	// Without WhatsApp's time the window counts from receipt.
	noSent := inbound(a.ID, "wamid.nosent", recipient2, time.Time{}, "hi")
	noSent.ReceivedAt = t0.Add(3 * time.Hour)
	record(t, s, noSent)
	if until, want := window(sender1, recipient2), t0.Add(27*time.Hour); !until.Equal(want) {
		t.Errorf("window until %v, want %v (from ReceivedAt)", until, want)
	}
}
