package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// testAcceptGroups: requests of several messages that arrive together are
// written together (group commit), some of them refused. Each accepted
// request's messages get ids ascending in the request's order, and each id
// is its own message with one journal entry, one queue row and one debit;
// a refused request, wherever it falls in a group, writes nothing.
func testAcceptGroups(t *testing.T, s openwaba.Store) {
	const callers = 60
	size := func(i int) int { return 1 + i%5 }
	refused := func(i int) bool { return i%7 == 3 }
	var total openwaba.Micros
	for i := range callers {
		if !refused(i) {
			total += price * openwaba.Micros(size(i))
		}
	}
	rich := newAccount(t, s, "rich", total)
	broke := newAccount(t, s, "broke", 0)
	request := func(i int) []openwaba.Message {
		msgs := make([]openwaba.Message, size(i))
		for j := range msgs {
			due := t0
			if j%2 == 1 {
				due = t0.Add(time.Hour) // scheduled: no webhook event either
			}
			msgs[j] = textMessage(fmt.Sprintf("4917%03d%05d", i, j), price, due)
		}
		if refused(i) && i%2 == 1 {
			msgs[len(msgs)-1].Price = 10 * total // more than the balance
		}
		return msgs
	}
	results := make([]openwaba.AcceptResult, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			account := rich.ID
			if refused(i) && i%2 == 0 {
				account = broke.ID
			}
			<-start
			results[i], errs[i] = s.Accept(t.Context(), account, request(i))
		})
	}
	close(start)
	wg.Wait()

	seen := map[int64]string{}
	var accepted []int64
	for i := range callers {
		if refused(i) {
			if !errors.Is(errs[i], openwaba.ErrInsufficientBalance) {
				t.Errorf("request %d: Accept = %v, want ErrInsufficientBalance", i, errs[i])
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("request %d: Accept: %v", i, errs[i])
			continue
		}
		want := request(i)
		got := results[i].Messages
		if len(got) != len(want) {
			t.Errorf("request %d: %d messages back, want %d", i, len(got), len(want))
			continue
		}
		for j, m := range got {
			if j > 0 && m.ID <= got[j-1].ID {
				t.Errorf("request %d: message %d has id %d after %d: ids not in the request's order", i, j, m.ID, got[j-1].ID)
			}
			if before, ok := seen[m.ID]; ok {
				t.Errorf("id %d given to %s and %s", m.ID, before, want[j].Recipient)
			}
			seen[m.ID] = want[j].Recipient
			accepted = append(accepted, m.ID)
			stored := message(t, s, rich.ID, m.ID)
			if stored.Recipient != want[j].Recipient || stored.Status != want[j].Status || !stored.ScheduledAt.Equal(want[j].ScheduledAt) {
				t.Errorf("request %d: message %d (id %d) stored to %s, %s, due %v; want %s, %s, due %v", i, j, m.ID,
					stored.Recipient, stored.Status, stored.ScheduledAt, want[j].Recipient, want[j].Status, want[j].ScheduledAt)
			}
			if h := history(t, s, rich.ID, m.ID); !slices.Equal(h, []openwaba.Status{want[j].Status}) {
				t.Errorf("message %d: journal %v, want [%s]", m.ID, h, want[j].Status)
			}
		}
	}

	checkBalance(t, s, rich.ID, 0)
	checkBalance(t, s, broke.ID, 0)
	entries, err := s.Ledger(t.Context(), rich.ID)
	if err != nil {
		t.Fatalf("Ledger: %v", err)
	}
	debits := map[int64]int{}
	for _, e := range entries {
		if e.Reason != openwaba.ReasonDebit {
			continue
		}
		if e.Amount != -price {
			t.Errorf("debit of message %d is %v, want %v", e.MessageID, e.Amount, -price)
		}
		debits[e.MessageID]++
	}
	for _, id := range accepted {
		if debits[id] != 1 {
			t.Errorf("message %d has %d debits, want 1", id, debits[id])
		}
	}
	if len(debits) != len(accepted) {
		t.Errorf("%d messages debited, want the %d accepted", len(debits), len(accepted))
	}
	queued := claim(t, s, t0.Add(2*time.Hour), time.Minute, 1000)
	slices.Sort(queued)
	slices.Sort(accepted)
	if !slices.Equal(queued, accepted) {
		t.Errorf("queued %v, want the accepted %v", queued, accepted)
	}
}

// testSubmitGroups: sends that finish together are recorded together
// (MarkSubmitted in groups). Each message gets its own wamid and leaves
// the queue; the reports that came for a wamid before its message had it
// are applied to that message only; a message that does not exist is
// ErrNotFound and fails nothing else of its group.
func testSubmitGroups(t *testing.T, s openwaba.Store) {
	const n = 24
	a := newAccount(t, s, "acme", 1_000_000_000)
	newHook(t, s, a.ID, openwaba.HookWAStatus, "")
	msgs := make([]openwaba.Message, n)
	for i := range msgs {
		msgs[i] = acceptOne(t, s, a.ID)
	}
	if got := claim(t, s, t0, time.Minute, n); len(got) != n {
		t.Fatalf("claimed %d, want %d", len(got), n)
	}
	wamid := func(i int) string { return fmt.Sprintf("wamid.group.%d", i) }
	early := func(i int) bool { return i%3 == 0 }
	for i := range n {
		if early(i) { // Meta's webhook outran the send's answer
			_, err := s.ApplyStatuses(t.Context(), []openwaba.StatusUpdate{
				{WAMID: wamid(i), Status: openwaba.StatusDelivered, At: t0.Add(2 * time.Second)},
				{WAMID: wamid(i), Status: openwaba.StatusSent, At: t0.Add(time.Second)},
			})
			wantErr(t, "ApplyStatuses", err, nil)
		}
	}
	missing := msgs[n-1].ID + 1000
	errs := make([]error, n+1)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n + 1 {
		wg.Go(func() {
			<-start
			if i == n {
				errs[i] = s.MarkSubmitted(t.Context(), missing, "wamid.group.missing", t0)
				return
			}
			errs[i] = s.MarkSubmitted(t.Context(), msgs[i].ID, wamid(i), t0)
		})
	}
	close(start)
	wg.Wait()
	if !errors.Is(errs[n], openwaba.ErrNotFound) {
		t.Errorf("MarkSubmitted of message %d, which does not exist = %v, want ErrNotFound", missing, errs[n])
	}
	deliveries := map[int64]int{}
	for _, d := range drain(t, s, t0.Add(time.Hour)) {
		deliveries[d.MessageID]++
	}
	for i, m := range msgs {
		wantErr(t, fmt.Sprintf("MarkSubmitted of message %d", m.ID), errs[i], nil)
		got := message(t, s, a.ID, m.ID)
		want, wantDeliveries := openwaba.StatusQueued, 0
		if early(i) {
			want, wantDeliveries = openwaba.StatusDelivered, 2 // sent and delivered, to the wa_status hook
		}
		if got.WAMID != wamid(i) || got.Status != want {
			t.Errorf("message %d: wamid %q, status %s; want %q, %s", m.ID, got.WAMID, got.Status, wamid(i), want)
		}
		if deliveries[m.ID] != wantDeliveries {
			t.Errorf("message %d: %d wa_status deliveries, want %d", m.ID, deliveries[m.ID], wantDeliveries)
		}
	}
	if left := claim(t, s, t0.Add(time.Hour), time.Minute, n); len(left) != 0 {
		t.Errorf("messages %v still queued after they were submitted", left)
	}
}

// testStatusGroupOutbox: the webhook deliveries of a write of many status
// reports (more rows than one insert carries) are each there once, in the
// order of the reports and of the event types, for every hook.
func testStatusGroupOutbox(t *testing.T, s openwaba.Store) {
	const n = 30
	a := newAccount(t, s, "acme", 1_000_000_000)
	hooks := []openwaba.Hook{newHook(t, s, a.ID, openwaba.HookAll, ""), newHook(t, s, a.ID, openwaba.HookAll, ""), newHook(t, s, a.ID, openwaba.HookAll, "")}
	ids := make([]int64, n)
	var us []openwaba.StatusUpdate
	for i := range n {
		wamid := fmt.Sprintf("wamid.outbox.%d", i)
		ids[i] = submitted(t, s, a.ID, wamid).ID
		for j, st := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead} {
			us = append(us, openwaba.StatusUpdate{WAMID: wamid, Status: st, At: t0.Add(time.Duration(j+1) * time.Second)})
		}
	}
	_, err := s.ApplyStatuses(t.Context(), us)
	wantErr(t, "ApplyStatuses", err, nil)
	type key struct{ hook, message int64 }
	got := map[key][]string{}
	last := map[key]int64{}
	for _, d := range drain(t, s, t0.Add(time.Hour)) {
		k := key{d.Hook.ID, d.MessageID}
		if d.ID <= last[k] {
			t.Errorf("delivery %d of message %d to hook %d after delivery %d", d.ID, d.MessageID, d.Hook.ID, last[k])
		}
		last[k] = d.ID
		got[k] = append(got[k], string(d.Event)+" "+string(d.Status))
	}
	want := []string{"dlr sent", "wa_status sent", "dlr delivered", "wa_status delivered", "wa_status read"}
	for _, h := range hooks {
		for _, id := range ids {
			if g := got[key{h.ID, id}]; !slices.Equal(g, want) {
				t.Errorf("message %d to hook %d: deliveries %q, want %q", id, h.ID, g, want)
			}
		}
	}
}
