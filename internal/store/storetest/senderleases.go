package storetest

import (
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var senderLeaseTests = []test{
	{"OneOwnerPerSender", testSenderLeases},
	{"ClaimDueFor", testClaimDueFor},
}

func fromSender(sender string, due time.Time) openwaba.Message {
	m := textMessage(recipient1, price, due)
	m.Sender = sender
	return m
}

func lease(t *testing.T, s openwaba.Store, owner string, now time.Time) []string {
	t.Helper()
	got, err := s.LeaseSenders(t.Context(), owner, now, 10*time.Second)
	wantErr(t, "LeaseSenders", err, nil)
	if got == nil {
		got = []string{}
	}
	return got
}

// testSenderLeases: a sender with due messages goes to one owner at a
// time, one new sender per call; leases are renewed by their owner, move
// when they end, and go at once when released.
func testSenderLeases(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	if got := lease(t, s, "node-a", t0); len(got) != 0 {
		t.Fatalf("leased %v with nothing queued", got)
	}
	accept(t, s, a.ID, fromSender(sender1, t0), fromSender(sender2, t0), fromSender("4915100000003", t0.Add(time.Hour)))

	equal(t, "a takes one sender", lease(t, s, "node-a", t0), []string{sender1})
	equal(t, "b takes the other", lease(t, s, "node-b", t0), []string{sender2})
	equal(t, "c finds none free", lease(t, s, "node-c", t0), []string{})
	equal(t, "a renews, finds none free", lease(t, s, "node-a", t0.Add(5*time.Second)), []string{sender1})

	// b dies: after its lease ends, its sender moves; a's renewed lease holds.
	at := t0.Add(12 * time.Second)
	equal(t, "c takes b's sender", lease(t, s, "node-c", at), []string{sender2})
	equal(t, "a keeps its own", lease(t, s, "node-a", at), []string{sender1})

	// Not yet due: the third sender is nobody's until its message is.
	equal(t, "b has nothing", lease(t, s, "node-b", at), []string{})

	// a leaves gracefully: its sender is free at once.
	wantErr(t, "ReleaseSenders", s.ReleaseSenders(t.Context(), "node-a"), nil)
	equal(t, "c takes a's released sender", lease(t, s, "node-c", at.Add(time.Second)), []string{sender1, sender2})

	// An hour later every lease has ended: senders go to whoever asks,
	// oldest due first, one per call; the third is due now too.
	later := t0.Add(time.Hour)
	equal(t, "b, first", lease(t, s, "node-b", later), []string{sender1})
	equal(t, "b, second", lease(t, s, "node-b", later), []string{sender1, sender2})
	equal(t, "b, third", lease(t, s, "node-b", later), []string{sender1, sender2, "4915100000003"})
}

// testClaimDueFor: a node claims only the messages of its senders.
func testClaimDueFor(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	res := accept(t, s, a.ID, fromSender(sender1, t0), fromSender(sender2, t0), fromSender(sender1, t0))
	got, err := s.ClaimDueFor(t.Context(), t0, time.Minute, 10, []string{sender2})
	wantErr(t, "ClaimDueFor", err, nil)
	equal(t, "sender2's", ids(got), []int64{res.Messages[1].ID})
	got, err = s.ClaimDueFor(t.Context(), t0, time.Minute, 10, nil)
	wantErr(t, "ClaimDueFor without senders", err, nil)
	if len(got) != 0 {
		t.Errorf("claimed %d for no senders", len(got))
	}
	got, err = s.ClaimDueFor(t.Context(), t0, time.Minute, 10, []string{sender1, sender2})
	wantErr(t, "ClaimDueFor", err, nil)
	equal(t, "sender1's", ids(got), []int64{res.Messages[0].ID, res.Messages[2].ID})
}
