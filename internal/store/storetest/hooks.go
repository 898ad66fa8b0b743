package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var hookTests = []test{
	{"CRUD", testHooksCRUD},
	{"StatusEvents", testHookStatusEvents},
	{"FirstStatusEvents", testHookFirstStatusEvents},
	{"PerMessageOrder", testHookOrder},
	{"InboundEvents", testHookInboundEvents},
	{"RetryDeadReplay", testHookRetryDeadReplay},
	{"LeaseExpiry", testHookLeaseExpiry},
	{"EnqueueEvent", testHookEnqueueEvent},
	{"DeleteDropsPending", testHookDeleteDropsPending},
	{"ClaimCarriesMessage", testHookClaimCarriesMessage},
}

// testHookClaimCarriesMessage: a claimed status delivery carries its
// message as the store holds it after the status (the deliverer renders
// from it without a read of its own); other events carry none.
func testHookClaimCarriesMessage(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	newHook(t, s, a.ID, openwaba.HookAll, "")
	m := submitted(t, s, a.ID, "wamid.carry")
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.carry", Status: openwaba.StatusDelivered, At: t0.Add(time.Second)})
	wantErr(t, "ApplyStatus", err, nil)
	record(t, s, inbound(a.ID, "wamid.in.carry", recipient1, t0, "hi"))
	want, err := s.Message(t.Context(), a.ID, m.ID)
	wantErr(t, "Message", err, nil)
	ds := drain(t, s, t0.Add(time.Hour))
	var statuses, inbound int
	for _, d := range ds {
		switch d.Event {
		case openwaba.HookDLR, openwaba.HookWAStatus:
			statuses++
			if d.Message == nil {
				t.Fatalf("%s delivery %d carries no message", d.Event, d.ID)
			}
			equal(t, "the message of a "+string(d.Event)+" delivery", *d.Message, want)
		default:
			inbound++
			if d.Message != nil {
				t.Errorf("%s delivery carries message %d", d.Event, d.Message.ID)
			}
		}
	}
	if statuses == 0 || inbound == 0 {
		t.Fatalf("%d status and %d other deliveries, want some of each", statuses, inbound)
	}
}

func newHook(t *testing.T, s openwaba.Store, accountID int64, ev openwaba.HookEvent, filter string) openwaba.Hook {
	t.Helper()
	h, err := s.CreateHook(t.Context(), openwaba.Hook{
		AccountID: accountID, TargetURL: "https://example.com/" + string(ev), EventType: ev,
		RequestMethod: "JSON", EventFilter: filter, Headers: "X-Test: 1", CreatedAt: t0,
	})
	wantErr(t, "CreateHook", err, nil)
	return h
}

// claimAll claims every delivery claimable at now.
func claimAll(t *testing.T, s openwaba.Store, now time.Time) []openwaba.Delivery {
	t.Helper()
	ds, err := s.ClaimDeliveries(t.Context(), now, time.Minute, 1000)
	wantErr(t, "ClaimDeliveries", err, nil)
	return ds
}

// drain claims and finishes deliveries until none is left, and returns
// them in the order they were claimed.
func drain(t *testing.T, s openwaba.Store, now time.Time) []openwaba.Delivery {
	t.Helper()
	var all []openwaba.Delivery
	for range 100 {
		ds := claimAll(t, s, now)
		if len(ds) == 0 {
			return all
		}
		for _, d := range ds {
			wantErr(t, "DeliveryDone", s.DeliveryDone(t.Context(), d.ID), nil)
		}
		all = append(all, ds...)
	}
	t.Fatal("the outbox never ran empty")
	return nil
}

// summary is "hook event status" per delivery, for comparing.
func summary(ds []openwaba.Delivery, hooks map[int64]string) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%s %s %s", hooks[d.Hook.ID], d.Event, d.Status)
	}
	slices.Sort(out)
	return out
}

func testHooksCRUD(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	h1 := newHook(t, s, a.ID, openwaba.HookDLR, "")
	h2 := newHook(t, s, a.ID, openwaba.HookWAMO, sender1)
	if h1.ID == 0 || h2.ID == h1.ID {
		t.Fatalf("ids %d, %d", h1.ID, h2.ID)
	}
	got, err := s.Hooks(t.Context(), a.ID)
	wantErr(t, "Hooks", err, nil)
	equal(t, "hooks of a", got, []openwaba.Hook{h1, h2})
	if got, _ := s.Hooks(t.Context(), b.ID); len(got) != 0 {
		t.Errorf("b sees %d hooks of a", len(got))
	}
	wantErr(t, "DeleteHook of another account", s.DeleteHook(t.Context(), b.ID, h1.ID), openwaba.ErrNotFound)
	wantErr(t, "DeleteHook", s.DeleteHook(t.Context(), a.ID, h1.ID), nil)
	wantErr(t, "DeleteHook again", s.DeleteHook(t.Context(), a.ID, h1.ID), openwaba.ErrNotFound)
	got, _ = s.Hooks(t.Context(), a.ID)
	equal(t, "hooks after delete", got, []openwaba.Hook{h2})
	_, err = s.CreateHook(t.Context(), openwaba.Hook{AccountID: 999, TargetURL: "https://x", EventType: openwaba.HookAll, RequestMethod: "JSON"})
	wantErr(t, "CreateHook for an unknown account", err, openwaba.ErrNotFound)
}

// testHookStatusEvents: each status a message reaches for the first time
// goes to the hooks that subscribe to it, and to no other.
func testHookStatusEvents(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 1_000_000)
	names := map[int64]string{
		newHook(t, s, a.ID, openwaba.HookDLR, "").ID:         "dlr",
		newHook(t, s, a.ID, openwaba.HookWAStatus, "").ID:    "wa_status",
		newHook(t, s, a.ID, openwaba.HookAll, "").ID:         "all",
		newHook(t, s, a.ID, openwaba.HookWAMO, "").ID:        "wa_mo",
		newHook(t, s, a.ID, openwaba.HookDLR, sender1).ID:    "dlr-mine",
		newHook(t, s, a.ID, openwaba.HookDLR, sender2).ID:    "dlr-other-sender",
		newHook(t, s, b.ID, openwaba.HookAll, "").ID:         "b-all",
		newHook(t, s, a.ID, openwaba.HookTracking, "").ID:    "tracking",
		newHook(t, s, a.ID, openwaba.HookWAStatus, "123").ID: "wa_status-other",
	}
	m := submitted(t, s, a.ID, "wamid.h1")
	for _, st := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusDelivered, openwaba.StatusRead} {
		_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.h1", Status: st, At: t0.Add(time.Second)})
		wantErr(t, "ApplyStatus", err, nil)
	}
	got := drain(t, s, t0.Add(time.Hour))
	want := []string{
		"all dlr delivered", "all dlr sent", "all wa_status delivered", "all wa_status read", "all wa_status sent",
		"dlr dlr delivered", "dlr dlr sent", "dlr-mine dlr delivered", "dlr-mine dlr sent",
		"wa_status wa_status delivered", "wa_status wa_status read", "wa_status wa_status sent",
	}
	slices.Sort(want)
	equal(t, "deliveries", summary(got, names), want)
	for _, d := range got {
		if d.MessageID != m.ID || d.InboundID != 0 || !d.StatusAt.Equal(t0.Add(time.Second)) || d.Hook.AccountID != a.ID || d.Attempts != 1 {
			t.Errorf("delivery %+v", d)
			break
		}
	}

	// A failure keeps its error; a cancelled message reports deleted.
	m2 := submitted(t, s, a.ID, "wamid.h2")
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.h2", Status: openwaba.StatusFailed, At: t0, ErrorCode: 131026, ErrorText: "undeliverable"})
	wantErr(t, "ApplyStatus failed", err, nil)
	m3 := acceptOne(t, s, a.ID)
	_, err = s.Cancel(t.Context(), a.ID, m3.ID, t0)
	wantErr(t, "Cancel", err, nil)
	got = drain(t, s, t0.Add(time.Hour))
	want = []string{"all dlr failed", "all wa_status deleted", "all wa_status failed", "dlr dlr failed", "dlr-mine dlr failed",
		"wa_status wa_status deleted", "wa_status wa_status failed"}
	slices.Sort(want)
	equal(t, "deliveries of failed and deleted", summary(got, names), want)
	for _, d := range got {
		if d.Status == openwaba.StatusFailed && (d.MessageID != m2.ID || d.ErrorCode != 131026 || d.ErrorText != "undeliverable") {
			t.Errorf("failed delivery %+v", d)
		}
	}
}

// testHookFirstStatusEvents: the status a message is accepted with is
// journalled like any later one, so a status that makes events (a message
// accepted as failed) is reported too; queued and scheduled make none. The
// message's short links are stored with it.
func testHookFirstStatusEvents(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	names := map[int64]string{
		newHook(t, s, a.ID, openwaba.HookAll, "").ID: "all",
		newHook(t, s, a.ID, openwaba.HookDLR, "").ID: "dlr",
	}
	failed := textMessage(recipient1, price, t0)
	failed.Status = openwaba.StatusFailed
	failed.Links = []openwaba.Link{{Code: "first1", URL: "https://shop.example/1"}}
	res := accept(t, s, a.ID, textMessage(recipient1, price, t0), failed, textMessage(recipient2, price, t0.Add(time.Hour)))
	got := drain(t, s, t0.Add(time.Hour))
	want := []string{"all dlr failed", "all wa_status failed", "dlr dlr failed"}
	equal(t, "deliveries", summary(got, names), want)
	for _, d := range got {
		if d.MessageID != res.Messages[1].ID || !d.StatusAt.Equal(t0) {
			t.Errorf("delivery %+v, want one of message %d at %v", d, res.Messages[1].ID, t0)
		}
	}
	l, err := s.Link(t.Context(), "first1")
	wantErr(t, "Link", err, nil)
	if l.MessageID != res.Messages[1].ID || l.AccountID != a.ID {
		t.Errorf("link %+v, want one of message %d", l, res.Messages[1].ID)
	}
}

// testHookOrder: a hook gets the events of one message one after the
// other; events of different messages do not wait for each other.
func testHookOrder(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	newHook(t, s, a.ID, openwaba.HookWAStatus, "")
	submitted(t, s, a.ID, "wamid.o1")
	submitted(t, s, a.ID, "wamid.o2")
	for _, st := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead} {
		for _, w := range []string{"wamid.o1", "wamid.o2"} {
			_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: w, Status: st, At: t0})
			wantErr(t, "ApplyStatus", err, nil)
		}
	}
	now := t0.Add(time.Hour)
	for _, want := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead} {
		ds := claimAll(t, s, now)
		if len(ds) != 2 || ds[0].Status != want || ds[1].Status != want || ds[0].MessageID == ds[1].MessageID {
			t.Fatalf("claimed %v, want %s of both messages", summary(ds, nil), want)
		}
		// While the first is leased, the next of its message waits.
		if more := claimAll(t, s, now); len(more) != 0 {
			t.Fatalf("claimed %v while the first were leased", summary(more, nil))
		}
		// A retry keeps its place: nothing overtakes it.
		wantErr(t, "RetryDelivery", s.RetryDelivery(t.Context(), ds[0].ID, now, "timeout"), nil)
		again := claimAll(t, s, now)
		if len(again) != 1 || again[0].ID != ds[0].ID || again[0].Attempts != 2 || again[0].LastError != "timeout" {
			t.Fatalf("after retry claimed %+v", again)
		}
		for _, d := range ds {
			wantErr(t, "DeliveryDone", s.DeliveryDone(t.Context(), d.ID), nil)
		}
	}
	if ds := claimAll(t, s, now); len(ds) != 0 {
		t.Fatalf("left over: %v", summary(ds, nil))
	}
}

func testHookInboundEvents(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	mo := newHook(t, s, a.ID, openwaba.HookWAMO, "")
	newHook(t, s, a.ID, openwaba.HookDLR, "")
	other := newHook(t, s, a.ID, openwaba.HookWAMO, sender2)
	in := inbound(a.ID, "wamid.in", recipient1, t0, "hi")
	record(t, s, in)
	record(t, s, in) // Meta redelivers
	ds := drain(t, s, t0.Add(time.Hour))
	if len(ds) != 1 || ds[0].Hook.ID != mo.ID || ds[0].Event != openwaba.HookWAMO || ds[0].InboundID == 0 || ds[0].MessageID != 0 {
		t.Fatalf("deliveries %+v, want one wa_mo to hook %d (not %d)", ds, mo.ID, other.ID)
	}
	got, err := s.InboundByID(t.Context(), a.ID, ds[0].InboundID)
	wantErr(t, "InboundByID", err, nil)
	if got.WAMID != "wamid.in" || got.Text != "hi" {
		t.Errorf("delivery names inbound %+v", got)
	}
	b := newAccount(t, s, "b", 0)
	_, err = s.InboundByID(t.Context(), b.ID, ds[0].InboundID)
	wantErr(t, "InboundByID of another account", err, openwaba.ErrNotFound)
}

func testHookRetryDeadReplay(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 0)
	newHook(t, s, a.ID, openwaba.HookWAStatus, "")
	submitted(t, s, a.ID, "wamid.r")
	for _, st := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered} {
		_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.r", Status: st, At: t0})
		wantErr(t, "ApplyStatus", err, nil)
	}
	ds := claimAll(t, s, t0)
	if len(ds) != 1 || ds[0].Status != openwaba.StatusSent {
		t.Fatalf("claimed %+v", ds)
	}
	sent := ds[0]
	wantErr(t, "RetryDelivery", s.RetryDelivery(t.Context(), sent.ID, t0.Add(time.Minute), "HTTP 503"), nil)
	if ds := claimAll(t, s, t0.Add(59*time.Second)); len(ds) != 0 {
		t.Fatalf("claimed before its retry time: %+v", ds)
	}
	next, ok, err := s.NextDelivery(t.Context())
	wantErr(t, "NextDelivery", err, nil)
	if !ok || next.After(t0.Add(time.Minute)) {
		t.Errorf("NextDelivery = %v, %v; want no later than %v", next, ok, t0.Add(time.Minute))
	}
	ds = claimAll(t, s, t0.Add(time.Minute))
	if len(ds) != 1 || ds[0].ID != sent.ID {
		t.Fatalf("retry claimed %+v", ds)
	}
	wantErr(t, "KillDelivery", s.KillDelivery(t.Context(), sent.ID, "HTTP 410"), nil)

	// The dead one no longer holds back the next of its message.
	ds = claimAll(t, s, t0.Add(time.Minute))
	if len(ds) != 1 || ds[0].Status != openwaba.StatusDelivered {
		t.Fatalf("after the kill claimed %+v", ds)
	}
	wantErr(t, "DeliveryDone", s.DeliveryDone(t.Context(), ds[0].ID), nil)

	dead, err := s.DeadDeliveries(t.Context(), a.ID)
	wantErr(t, "DeadDeliveries", err, nil)
	if len(dead) != 1 || dead[0].ID != sent.ID || dead[0].State != openwaba.DeliveryDead || dead[0].LastError != "HTTP 410" || dead[0].Attempts != 2 {
		t.Fatalf("dead = %+v", dead)
	}
	if all, _ := s.DeadDeliveries(t.Context(), 0); len(all) != 1 {
		t.Errorf("all dead = %d", len(all))
	}
	if other, _ := s.DeadDeliveries(t.Context(), b.ID); len(other) != 0 {
		t.Errorf("b sees %d dead deliveries of a", len(other))
	}
	wantErr(t, "ReplayDelivery by another account", s.ReplayDelivery(t.Context(), b.ID, sent.ID, t0), openwaba.ErrNotFound)
	wantErr(t, "RetryDelivery of a dead one", s.RetryDelivery(t.Context(), sent.ID, t0, "x"), openwaba.ErrNotFound)
	wantErr(t, "ReplayDelivery", s.ReplayDelivery(t.Context(), a.ID, sent.ID, t0.Add(time.Hour)), nil)
	wantErr(t, "ReplayDelivery twice", s.ReplayDelivery(t.Context(), a.ID, sent.ID, t0.Add(time.Hour)), openwaba.ErrNotFound)
	ds = claimAll(t, s, t0.Add(time.Hour))
	if len(ds) != 1 || ds[0].ID != sent.ID || ds[0].Attempts != 1 || ds[0].State != openwaba.DeliveryPending {
		t.Fatalf("replayed claim %+v", ds)
	}
	if dead, _ := s.DeadDeliveries(t.Context(), a.ID); len(dead) != 0 {
		t.Errorf("still dead after replay: %+v", dead)
	}
}

func testHookLeaseExpiry(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	newHook(t, s, a.ID, openwaba.HookWAStatus, "")
	submitted(t, s, a.ID, "wamid.l")
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.l", Status: openwaba.StatusSent, At: t0})
	wantErr(t, "ApplyStatus", err, nil)
	first := claimAll(t, s, t0)
	if len(first) != 1 {
		t.Fatalf("claimed %d", len(first))
	}
	if ds := claimAll(t, s, t0.Add(59*time.Second)); len(ds) != 0 {
		t.Fatal("claimed while leased")
	}
	// The deliverer died: after the lease, another takes it over.
	ds := claimAll(t, s, t0.Add(time.Minute))
	if len(ds) != 1 || ds[0].ID != first[0].ID || ds[0].Attempts != 2 {
		t.Fatalf("after the lease claimed %+v", ds)
	}
}

func testHookEnqueueEvent(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	tr := newHook(t, s, a.ID, openwaba.HookTracking, "")
	all := newHook(t, s, a.ID, openwaba.HookAll, sender1)
	newHook(t, s, a.ID, openwaba.HookTracking, sender2)
	newHook(t, s, a.ID, openwaba.HookDLR, "")
	m := acceptOne(t, s, a.ID)
	data := []byte(`{"final_url":"https://example.com"}`)
	wantErr(t, "EnqueueEvent", s.EnqueueEvent(t.Context(), a.ID, openwaba.HookTracking, sender1, m.ID, data, t0), nil)
	ds := drain(t, s, t0)
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2", len(ds))
	}
	for _, d := range ds {
		if (d.Hook.ID != tr.ID && d.Hook.ID != all.ID) || d.Event != openwaba.HookTracking || d.MessageID != m.ID || string(d.Data) != string(data) {
			t.Errorf("delivery %+v", d)
		}
	}
}

func testHookDeleteDropsPending(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	h := newHook(t, s, a.ID, openwaba.HookWAStatus, "")
	submitted(t, s, a.ID, "wamid.d")
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.d", Status: openwaba.StatusSent, At: t0})
	wantErr(t, "ApplyStatus", err, nil)
	ds := claimAll(t, s, t0)
	wantErr(t, "DeleteHook", s.DeleteHook(t.Context(), a.ID, h.ID), nil)
	wantErr(t, "DeliveryDone after the hook was deleted", s.DeliveryDone(t.Context(), ds[0].ID), openwaba.ErrNotFound)
	if _, ok, _ := s.NextDelivery(t.Context()); ok {
		t.Error("deliveries of a deleted hook remain")
	}
}
