package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var queueStatsTests = []test{
	{"Empty", testQueueStatsEmpty},
	{"DueMessages", testQueueStatsDue},
	{"Outbox", testQueueStatsOutbox},
}

func queueStats(t *testing.T, s openwaba.Store, now time.Time) openwaba.QueueStats {
	t.Helper()
	st, err := s.QueueStats(t.Context(), now)
	wantErr(t, "QueueStats", err, nil)
	return st
}

func testQueueStatsEmpty(t *testing.T, s openwaba.Store) {
	newAccount(t, s, "a", 1_000_000)
	if st := queueStats(t, s, t0); len(st.Senders) != 0 || len(st.Hooks) != 0 {
		t.Errorf("stats of an empty store: %+v", st)
	}
}

// testQueueStatsDue: the due backlog counts the queued messages due at the
// time asked about, claimed or not, per sender with the oldest due time;
// messages scheduled later, submitted or put back for later do not count.
func testQueueStatsDue(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 1_000_000)
	other := func(m openwaba.Message) openwaba.Message { m.Sender = sender2; return m }
	res := accept(t, s, a.ID,
		textMessage(recipient1, price, t0),
		textMessage(recipient2, price, t0.Add(30*time.Second)),
		textMessage(recipient1, price, t0.Add(time.Hour)), // not due yet
	)
	accept(t, s, b.ID, other(textMessage(recipient1, price, t0.Add(time.Minute))))
	now := t0.Add(2 * time.Minute)
	equal(t, "due backlog", queueStats(t, s, now).Senders, []openwaba.SenderQueue{
		{Sender: sender1, Due: 2, OldestDue: t0},
		{Sender: sender2, Due: 1, OldestDue: t0.Add(time.Minute)},
	})
	equal(t, "due backlog at t0", queueStats(t, s, t0).Senders, []openwaba.SenderQueue{{Sender: sender1, Due: 1, OldestDue: t0}})

	// Claimed, the oldest still counts until WhatsApp has it.
	first := res.Messages[0].ID
	if got := claim(t, s, now, time.Minute, 1); !slices.Equal(got, []int64{first}) {
		t.Fatalf("claimed %v, want [%d]", got, first)
	}
	equal(t, "due backlog with a claim", queueStats(t, s, now).Senders[0], openwaba.SenderQueue{Sender: sender1, Due: 2, OldestDue: t0})
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), first, "wamid.q", now), nil)
	equal(t, "due backlog after a submit", queueStats(t, s, now).Senders[0],
		openwaba.SenderQueue{Sender: sender1, Due: 1, OldestDue: t0.Add(30 * time.Second)})

	// Put back for later: not due now.
	second := res.Messages[1].ID
	if got := claim(t, s, now, time.Minute, 1); !slices.Equal(got, []int64{second}) {
		t.Fatalf("claimed %v, want [%d]", got, second)
	}
	wantErr(t, "Retry", s.Retry(t.Context(), second, now.Add(time.Minute), 131000, "later"), nil)
	equal(t, "due backlog after a retry", queueStats(t, s, now).Senders, []openwaba.SenderQueue{
		{Sender: sender2, Due: 1, OldestDue: t0.Add(time.Minute)},
	})
	equal(t, "due backlog once the retry is due", queueStats(t, s, now.Add(time.Minute)).Senders, []openwaba.SenderQueue{
		{Sender: sender1, Due: 1, OldestDue: now.Add(time.Minute)},
		{Sender: sender2, Due: 1, OldestDue: t0.Add(time.Minute)},
	})
}

// testQueueStatsOutbox: per hook, the pending deliveries with the event
// time of the oldest, and the dead ones; hooks with neither are left out.
func testQueueStatsOutbox(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 1_000_000)
	h1 := newHook(t, s, a.ID, openwaba.HookTracking, "")
	h2 := newHook(t, s, a.ID, openwaba.HookTracking, "")
	newHook(t, s, b.ID, openwaba.HookTracking, "") // nothing for it
	m := acceptOne(t, s, a.ID)
	for _, at := range []time.Time{t0.Add(time.Second), t0.Add(2 * time.Second)} {
		wantErr(t, "EnqueueEvent", s.EnqueueEvent(t.Context(), a.ID, openwaba.HookTracking, sender1, m.ID, []byte(`{}`), at), nil)
	}
	now := t0.Add(time.Minute)
	equal(t, "outbox", queueStats(t, s, now).Hooks, []openwaba.HookQueue{
		{HookID: h1.ID, Pending: 2, OldestPending: t0.Add(time.Second)},
		{HookID: h2.ID, Pending: 2, OldestPending: t0.Add(time.Second)},
	})

	// The first of each hook: dead for h1, delivered for h2.
	ds := claimAll(t, s, now)
	if len(ds) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(ds))
	}
	for _, d := range ds {
		if d.Hook.ID == h1.ID {
			wantErr(t, "KillDelivery", s.KillDelivery(t.Context(), d.ID, "HTTP 410"), nil)
		} else {
			wantErr(t, "DeliveryDone", s.DeliveryDone(t.Context(), d.ID), nil)
		}
	}
	equal(t, "outbox after one dead and one delivered", queueStats(t, s, now).Hooks, []openwaba.HookQueue{
		{HookID: h1.ID, Pending: 1, OldestPending: t0.Add(2 * time.Second), Dead: 1},
		{HookID: h2.ID, Pending: 1, OldestPending: t0.Add(2 * time.Second)},
	})

	// Claimed, a delivery is still pending; dead, it only counts as dead.
	for _, d := range claimAll(t, s, now) {
		if d.Hook.ID == h1.ID {
			wantErr(t, "KillDelivery", s.KillDelivery(t.Context(), d.ID, "HTTP 410"), nil)
		}
	}
	equal(t, "outbox with only dead letters for h1", queueStats(t, s, now).Hooks, []openwaba.HookQueue{
		{HookID: h1.ID, Dead: 2},
		{HookID: h2.ID, Pending: 1, OldestPending: t0.Add(2 * time.Second)},
	})
}
