package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// A delivery's id is the event id customers drop duplicates by
// (X-Webhook-Id, internal/webhook.EventID): an id that comes back for
// another event makes a receiver drop that event as one it has processed.
// So no id is ever given twice, whatever became of the deliveries that
// had it: delivered and deleted, dead, dropped with their hook, or the
// store restarted in between.
var webhookIDTests = []test{
	{"DeliveryIDsNeverReused", testDeliveryIDsNeverReused},
	{"HookIDsNeverReused", testHookIDsNeverReused},
	{"MessageIDsNeverReused", testMessageIDsNeverReused},
}

var reopenTests = []reopenTest{
	{"DeliveryIDsNeverReusedAcrossReopen", testDeliveryIDsAcrossReopen},
	{"HookIDsNeverReusedAcrossReopen", testHookIDsAcrossReopen},
	{"MessageIDsNeverReusedAcrossReopen", testMessageIDsAcrossReopen},
}

// idRound puts deliveries in the outbox of the account's hooks by every
// path that enqueues: a status report (sent: a dlr and a wa_status event),
// a click, an event and, last, so that it has the newest id and is
// claimable at once, an inbound message. Each round uses new wamids and
// link codes (n numbers it).
func idRound(t *testing.T, s openwaba.Store, accountID int64, n int, now time.Time) {
	t.Helper()
	wamid, code := fmt.Sprintf("wamid.id%d", n), fmt.Sprintf("IdRound%d", n)
	m := textMessage(recipient1, price, now)
	m.CreatedAt, m.Links = now, []openwaba.Link{{Code: code, URL: "https://shop.example/" + code}}
	m = accept(t, s, accountID, m).Messages[0]
	got, err := s.ClaimDue(t.Context(), now, time.Minute, 100)
	wantErr(t, "ClaimDue", err, nil)
	if !slices.Contains(ids(got), m.ID) {
		t.Fatalf("round %d: claimed %v, want message %d among them", n, ids(got), m.ID)
	}
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, wamid, now), nil)
	_, err = s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: wamid, Status: openwaba.StatusSent, At: now})
	wantErr(t, "ApplyStatus", err, nil)
	_, err = s.RecordClick(t.Context(), code, now, "UA", false)
	wantErr(t, "RecordClick", err, nil)
	wantErr(t, "EnqueueEvent", s.EnqueueEvent(t.Context(), accountID, openwaba.HookTracking, sender1, m.ID, []byte(`{}`), now), nil)
	record(t, s, inbound(accountID, "wamid.in"+wamid, recipient1, now, "hi"))
}

// idRoundEvents is how many deliveries idRound makes for one hook of
// type all.
const idRoundEvents = 5

// idLedger remembers each delivery id seen and the event it stood for.
type idLedger map[int64]string

// add fails the test for each id in ds that stood for another event
// before, and returns how many of ds are events not seen before.
func (l idLedger) add(t *testing.T, round string, ds []openwaba.Delivery) int {
	t.Helper()
	n := 0
	for _, d := range ds {
		event := fmt.Sprintf("hook %d %s %s of message %d, inbound %d, click %d",
			d.Hook.ID, d.Event, d.Status, d.MessageID, d.InboundID, d.ClickID)
		before, ok := l[d.ID]
		switch {
		case !ok:
			l[d.ID] = event + " in " + round
			n++
		case !strings.HasPrefix(before, event+" in "):
			t.Errorf("%s: delivery id %d is given to %s; it was %s", round, d.ID, event, before)
			l[d.ID] = event + " in " + round
			n++
		}
	}
	return n
}

// killAll claims and kills every delivery claimable at now.
func killAll(t *testing.T, s openwaba.Store, now time.Time) []openwaba.Delivery {
	t.Helper()
	var all []openwaba.Delivery
	for range 100 {
		ds := claimAll(t, s, now)
		if len(ds) == 0 {
			return all
		}
		for _, d := range ds {
			wantErr(t, "KillDelivery", s.KillDelivery(t.Context(), d.ID, "HTTP 410"), nil)
		}
		all = append(all, ds...)
	}
	t.Fatal("the outbox never ran empty")
	return nil
}

// testDeliveryIDsNeverReused empties the outbox, or takes its newest
// row, in every way there is, and puts new events in it after each.
func testDeliveryIDsNeverReused(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	hook := newHook(t, s, a.ID, openwaba.HookAll, "")
	rounds := []struct {
		name string
		// empty takes deliveries out of the outbox and returns those it
		// saw; full says that they are all of the round's and before.
		empty func(t *testing.T, now time.Time) []openwaba.Delivery
		full  bool
	}{
		{"the newest delivered, older ones pending", func(t *testing.T, now time.Time) []openwaba.Delivery {
			ds := claimAll(t, s, now)
			if len(ds) == 0 {
				t.Fatal("nothing claimable")
			}
			newest := ds[0]
			for _, d := range ds {
				if d.ID > newest.ID {
					newest = d
				}
			}
			wantErr(t, "DeliveryDone", s.DeliveryDone(t.Context(), newest.ID), nil)
			return ds
		}, false},
		{"all delivered", func(t *testing.T, now time.Time) []openwaba.Delivery {
			ds := drain(t, s, now.Add(time.Hour)) // after the leases
			if _, ok, _ := s.NextDelivery(t.Context()); ok {
				t.Fatal("outbox not empty after drain")
			}
			return ds
		}, true},
		{"all dead", func(t *testing.T, now time.Time) []openwaba.Delivery {
			return killAll(t, s, now)
		}, true},
		{"the hook deleted with its dead and pending deliveries", func(t *testing.T, now time.Time) []openwaba.Delivery {
			ds := claimAll(t, s, now)
			wantErr(t, "DeleteHook", s.DeleteHook(t.Context(), a.ID, hook.ID), nil)
			hook = newHook(t, s, a.ID, openwaba.HookAll, "")
			return ds
		}, false},
		{"all dead, one replayed, all delivered", func(t *testing.T, now time.Time) []openwaba.Delivery {
			ds := killAll(t, s, now)
			last := ds[len(ds)-1]
			wantErr(t, "ReplayDelivery", s.ReplayDelivery(t.Context(), a.ID, last.ID, now), nil)
			return append(ds, drain(t, s, now)...)
		}, true},
		{"all delivered", func(t *testing.T, now time.Time) []openwaba.Delivery {
			return drain(t, s, now)
		}, true},
	}
	seen := idLedger{}
	prev := "the start"
	for i, r := range rounds {
		now := t0.Add(time.Duration(i) * 2 * time.Hour)
		round := fmt.Sprintf("round %d (after %s)", i+1, prev)
		idRound(t, s, a.ID, i, now)
		if n := seen.add(t, round, r.empty(t, now)); r.full && n < idRoundEvents {
			t.Errorf("%s: saw %d new deliveries, want at least %d", round, n, idRoundEvents)
		}
		prev = r.name
	}
}

// testDeliveryIDsAcrossReopen: a restarted store does not give the ids of
// the deliveries the store before it delivered.
func testDeliveryIDsAcrossReopen(t *testing.T, s openwaba.Store, reopen func(openwaba.Store) openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	newHook(t, s, a.ID, openwaba.HookAll, "")
	seen := idLedger{}
	for i := range 3 {
		now := t0.Add(time.Duration(i) * 2 * time.Hour)
		round := fmt.Sprintf("round %d (after %d restarts, each with the outbox delivered)", i+1, i)
		idRound(t, s, a.ID, i, now)
		if n := seen.add(t, round, drain(t, s, now)); n != idRoundEvents {
			t.Errorf("%s: %d new deliveries, want %d", round, n, idRoundEvents)
		}
		s = reopen(s)
	}
}

// testHookIDsNeverReused: the id of a deleted hook is not given to a new
// one (the API answers with it; DELETE /api/hooks?id= takes it).
func testHookIDsNeverReused(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	seen := map[int64]bool{}
	for i := range 3 {
		h := newHook(t, s, a.ID, openwaba.HookAll, "")
		if seen[h.ID] {
			t.Errorf("hook %d: id %d was given to a hook deleted before", i+1, h.ID)
		}
		seen[h.ID] = true
		wantErr(t, "DeleteHook", s.DeleteHook(t.Context(), a.ID, h.ID), nil)
	}
}

func testHookIDsAcrossReopen(t *testing.T, s openwaba.Store, reopen func(openwaba.Store) openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	seen := map[int64]bool{}
	for i := range 3 {
		h := newHook(t, s, a.ID, openwaba.HookAll, "")
		if seen[h.ID] {
			t.Errorf("hook %d (after %d restarts): id %d was given to a hook deleted before", i+1, i, h.ID)
		}
		seen[h.ID] = true
		wantErr(t, "DeleteHook", s.DeleteHook(t.Context(), a.ID, h.ID), nil)
		s = reopen(s)
	}
}

// testMessageIDsNeverReused: the ids of erased messages, the newest ones
// included, are not given to new ones, outbound or inbound. The API
// answered with them, DELETE /api/waba/messages/{id} takes them and
// receivers of the webhooks know them: a new message under an old id
// would be cancelled, or dropped as seen, in the old one's place.
func testMessageIDsNeverReused(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	seen := messageIDLedger{}
	for i := range 4 {
		seen.round(t, s, a.ID, i, t0.Add(time.Duration(i)*time.Hour))
	}
}

// testMessageIDsAcrossReopen: nor after a restart of the store.
func testMessageIDsAcrossReopen(t *testing.T, s openwaba.Store, reopen func(openwaba.Store) openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	seen := messageIDLedger{}
	for i := range 3 {
		seen.round(t, s, a.ID, i, t0.Add(time.Duration(i)*time.Hour))
		s = reopen(s)
	}
}

// messageIDLedger holds every message id given so far, "out" or "in" by
// direction.
type messageIDLedger map[string]bool

// round sends two messages to a recipient of its own and records one from
// them, each the newest of its table, then erases that recipient, so that
// the newest rows of both tables go. Odd rounds accept the messages held,
// a status with webhook events at once, which the store writes one at a
// time; even rounds take the path of a group without events.
func (l messageIDLedger) round(t *testing.T, s openwaba.Store, accountID int64, n int, now time.Time) {
	t.Helper()
	to := fmt.Sprintf("49176555000%02d", n)
	msgs := []openwaba.Message{textMessage(to, price, now), textMessage(to, price, now)}
	if n%2 == 1 {
		for i := range msgs {
			msgs[i].Status, msgs[i].StatusAt = openwaba.StatusHeld, now
		}
	}
	for _, m := range accept(t, s, accountID, msgs...).Messages {
		l.give(t, n, "out", m.ID)
	}
	record(t, s, inbound(accountID, fmt.Sprintf("wamid.erased%d", n), to, now, "hi"))
	in, err := s.InboundMessages(t.Context(), accountID, openwaba.InboundFilter{})
	wantErr(t, "InboundMessages", err, nil)
	for _, m := range in {
		if m.From == to {
			l.give(t, n, "in", m.ID)
		}
	}
	e, err := s.EraseUser(t.Context(), accountID, to, now)
	wantErr(t, "EraseUser", err, nil)
	if e.Messages != len(msgs) || e.Inbound != 1 {
		t.Fatalf("round %d: erased %d messages and %d inbound, want %d and 1", n, e.Messages, e.Inbound, len(msgs))
	}
}

func (l messageIDLedger) give(t *testing.T, n int, dir string, id int64) {
	t.Helper()
	key := fmt.Sprintf("%s %d", dir, id)
	if l[key] {
		t.Errorf("round %d: %s message id %d was given to a message erased before", n, dir, id)
	}
	l[key] = true
}
