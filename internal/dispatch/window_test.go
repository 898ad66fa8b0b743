package dispatch

import (
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var freetext = openwaba.Content{Type: openwaba.TypeText, Text: "Thanks for your message!"}

// userWrote records an inbound message at, opening the window until
// at + 24 h, as the webhook receiver does.
func (e *env) userWrote(t *testing.T, at time.Time) {
	t.Helper()
	_, err := e.store.RecordInbound(t.Context(), openwaba.InboundMessage{
		AccountID: e.account.ID, Sender: testNumber, From: testUser, WAMID: "wamid.in-" + at.Format("150405"),
		Type: "text", Text: "Hallo", Payload: []byte(`{}`), SentAt: at, ReceivedAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Freetext whose window closed between accept and dispatch fails with
// seven's 7002001 and is refunded, without bothering WhatsApp.
func TestWindowClosedAtDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		wrote      bool          // the user wrote at t0
		acceptedAt time.Duration // after t0
		dispatchAt time.Duration // after t0
		want       openwaba.Status
	}{
		{"never opened", false, 0, 0, openwaba.StatusFailed},
		{"closed while queued", true, 23 * time.Hour, 24*time.Hour + time.Minute, openwaba.StatusFailed},
		{"still open", true, 23 * time.Hour, 24*time.Hour - time.Minute, openwaba.StatusSent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Config{})
			if tt.wrote {
				e.userWrote(t, t0)
			}
			e.clk.set(t0.Add(tt.acceptedAt))
			m := e.accept(t, freetext, 24*time.Hour)
			e.clk.set(t0.Add(tt.dispatchAt))
			e.dispatchDue(t)

			if tt.want == openwaba.StatusSent {
				if got := e.message(t, m.ID); got.WAMID == "" {
					t.Errorf("message %s (%d), want it handed to WhatsApp", got.Status, got.ErrorCode)
				}
				return
			}
			got := e.message(t, m.ID)
			if got.Status != openwaba.StatusFailed || got.ErrorCode != openwaba.CodeNotInWindow || got.ErrorText != openwaba.TextNotInWindow || !got.Refunded {
				t.Errorf("message %s %d %q refunded %v, want failed 7002001, refunded", got.Status, got.ErrorCode, got.ErrorText, got.Refunded)
			}
			if n := e.sentCount(); n != 0 {
				t.Errorf("%d requests reached WhatsApp, want none", n)
			}
		})
	}
}

// When WhatsApp finds the window closed (it keeps its own), it accepts
// the send and reports failed with 131047 later. The message ends with
// the same 7002001 as a window closed at accept or dispatch, keeping
// Meta's code in the text.
func TestAsyncReengagementFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.userWrote(t, t0) // our store saw the user write; the sandbox did not
	m := e.accept(t, freetext, 24*time.Hour)
	e.dispatchDue(t)
	if got := e.message(t, m.ID); got.WAMID == "" {
		t.Fatalf("message %s (%d %s), want it handed to WhatsApp", got.Status, got.ErrorCode, got.ErrorText)
	}
	got := e.waitStatus(t, m.ID, openwaba.StatusFailed)
	if got.ErrorCode != openwaba.CodeNotInWindow || !strings.HasPrefix(got.ErrorText, openwaba.TextNotInWindow) || !strings.Contains(got.ErrorText, "131047") {
		t.Errorf("failed with %d %q, want 7002001 naming Meta's 131047", got.ErrorCode, got.ErrorText)
	}
	hist, err := e.store.StatusHistory(t.Context(), e.account.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.Status != openwaba.StatusFailed || last.ErrorCode != openwaba.CodeNotInWindow || last.At.IsZero() {
		t.Errorf("journal ends with %+v, want failed 7002001 with its time", last)
	}
}
