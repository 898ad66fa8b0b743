package dispatch

import (
	"log/slog"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// A refused access token (190) stops the whole sender, loudly, without
// losing a message: the one that met the error and the others of the
// sender wait in the queue, unsent, and go out once the pause is over.
func TestInvalidTokenPausesSender(t *testing.T) {
	t.Parallel()
	const pause = time.Minute
	e := newEnv(t, Config{SenderPause: pause})
	first, second := e.acceptTemplate(t), e.acceptTemplate(t)
	e.sb.InjectError(190, 1)

	if n := e.dispatchDue(t); n != 2 {
		t.Fatalf("claimed %d, want both", n)
	}
	if n := e.sentCount(); n != 1 {
		t.Errorf("%d requests reached WhatsApp, want 1: the sender must stop after the 190", n)
	}
	for _, id := range []int64{first.ID, second.ID} {
		if got := e.message(t, id); got.Status != openwaba.StatusQueued || got.WAMID != "" || got.Refunded {
			t.Errorf("message %d is %s refunded %v, want queued and kept", id, got.Status, got.Refunded)
		}
	}
	if got := e.message(t, first.ID); got.ErrorCode != 190 {
		t.Errorf("first message's last error %d, want 190", got.ErrorCode)
	}
	if !e.logged(slog.LevelError, "access token") {
		t.Errorf("no error-level log about the access token:\n%s", e.logs)
	}
	if next := e.nextDue(t); !next.Equal(t0.Add(pause)) {
		t.Errorf("queue due at %v, want the end of the pause %v", next, t0.Add(pause))
	}

	// Still paused a moment before the end: nothing is sent.
	e.clk.set(t0.Add(pause - time.Second))
	if n := e.dispatchDue(t); n != 0 {
		t.Errorf("claimed %d during the pause", n)
	}
	e.clk.set(t0.Add(pause))
	e.dispatchDue(t)
	for _, id := range []int64{first.ID, second.ID} {
		e.waitStatus(t, id, openwaba.StatusRead)
	}
}

// A sender without phone_number_id is a configuration error: it pauses
// the sender like a bad token rather than failing its messages.
func TestSenderWithoutPhoneNumberIDPauses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	if err := e.store.PutSender(t.Context(), openwaba.Sender{Number: testNumber, AccountID: e.account.ID, WABAID: testWABA, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	m := e.acceptTemplate(t)
	e.dispatchDue(t)
	if got := e.message(t, m.ID); got.Status != openwaba.StatusQueued || e.sentCount() != 0 {
		t.Errorf("message %s, %d requests sent; want queued and nothing sent", got.Status, e.sentCount())
	}
	if !e.logged(slog.LevelError, "paused") {
		t.Errorf("no error-level log about the paused sender:\n%s", e.logs)
	}
}

// The pause concerns the sender whose token failed, not the others.
func TestPausedSenderDoesNotStopOthers(t *testing.T) {
	t.Parallel()
	const otherNumber, otherPhoneID = "4915112345679", "106540352242923"
	e := newEnv(t, Config{})
	e.sb.AddNumber(otherPhoneID, testWABA, otherNumber)
	if err := e.store.PutSender(t.Context(), openwaba.Sender{Number: otherNumber, AccountID: e.account.ID, PhoneNumberID: otherPhoneID, WABAID: testWABA, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	blocked := e.acceptTemplate(t) // claimed first: it meets the 190
	other := e.acceptFrom(t, otherNumber, helloWorld)
	e.sb.InjectError(190, 1)
	e.dispatchDue(t)

	if got := e.message(t, blocked.ID); got.Status != openwaba.StatusQueued || got.ErrorCode != 190 {
		t.Errorf("blocked sender's message %s %d, want queued after 190", got.Status, got.ErrorCode)
	}
	if got := e.message(t, other.ID); got.WAMID == "" {
		t.Errorf("other sender's message %s (%d %s), want it sent", got.Status, got.ErrorCode, got.ErrorText)
	}
}
