package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var concurrencyTests = []test{
	{"AcceptsShareTheBalance", testConcurrentAccepts},
	{"AcceptGroups", testAcceptGroups},
	{"ClaimersNeverShare", testConcurrentClaimers},
	{"CancelRacesClaim", testCancelRacesClaim},
	{"LedgerUnderRacingDebitsAndRefunds", testLedgerUnderRaces},
	{"StatusReportsRace", testStatusReportsRace},
	{"SubmitGroups", testSubmitGroups},
	{"StatusGroupOutbox", testStatusGroupOutbox},
}

// testStatusReportsRace: webhooks arriving at once, each naming two
// messages (neighbours name them in opposite orders) and repeating what
// others report, are all applied: every message read, each status once in
// its journal and once in the outbox, and no webhook waits for another
// for ever (PostgreSQL would abort a deadlock after a second).
func testStatusReportsRace(t *testing.T, s openwaba.Store) {
	const n = 12
	a := newAccount(t, s, "acme", 1_000_000_000)
	newHook(t, s, a.ID, openwaba.HookWAStatus, "")
	wamids := make([]string, n)
	ids := make([]int64, n)
	for i := range n {
		wamids[i] = fmt.Sprintf("wamid.race.%d", i)
		ids[i] = submitted(t, s, a.ID, wamids[i]).ID
	}
	var wg sync.WaitGroup
	for i := range 4 * n {
		wg.Go(func() {
			x, y := wamids[i%n], wamids[(i+1)%n]
			if i%2 == 1 {
				x, y = y, x
			}
			var us []openwaba.StatusUpdate
			for _, st := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead} {
				us = append(us, openwaba.StatusUpdate{WAMID: x, Status: st, At: t0.Add(time.Second)},
					openwaba.StatusUpdate{WAMID: y, Status: st, At: t0.Add(time.Second)})
			}
			if _, err := s.ApplyStatuses(t.Context(), us); err != nil {
				t.Errorf("ApplyStatuses: %v", err)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if got := message(t, s, a.ID, id); got.Status != openwaba.StatusRead {
			t.Errorf("message %d is %s, want read", id, got.Status)
		}
		journal, err := s.StatusHistory(t.Context(), a.ID, id)
		wantErr(t, "StatusHistory", err, nil)
		seen := map[openwaba.Status]int{}
		for _, e := range journal {
			seen[e.Status]++
		}
		for _, st := range []openwaba.Status{openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead} {
			if seen[st] != 1 {
				t.Errorf("message %d: %s %d times in the journal, want once", id, st, seen[st])
			}
		}
	}
	perMessage := map[int64]int{}
	for _, d := range drain(t, s, t0.Add(time.Hour)) {
		perMessage[d.MessageID]++
	}
	for _, id := range ids {
		if perMessage[id] != 3 {
			t.Errorf("message %d: %d wa_status deliveries, want 3 (sent, delivered, read)", id, perMessage[id])
		}
	}
}

// testConcurrentAccepts: 50 requests race for a balance that pays for 30.
func testConcurrentAccepts(t *testing.T, s openwaba.Store) {
	const callers, affordable = 50, 30
	a := newAccount(t, s, "acme", affordable*price)
	var ok, short atomic.Int32
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			_, err := s.Accept(t.Context(), a.ID, []openwaba.Message{textMessage(recipient1, price, t0)})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, openwaba.ErrInsufficientBalance):
				short.Add(1)
			default:
				t.Errorf("Accept: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != affordable || short.Load() != callers-affordable {
		t.Errorf("%d accepted and %d refused, want %d and %d", ok.Load(), short.Load(), affordable, callers-affordable)
	}
	checkBalance(t, s, a.ID, 0)
	if got := claim(t, s, t0, time.Minute, 1000); len(got) != affordable {
		t.Errorf("%d messages queued, want %d", len(got), affordable)
	}
}

// testConcurrentClaimers: dispatchers claiming at the same time never get
// the same message, and between them get all of them.
func testConcurrentClaimers(t *testing.T, s openwaba.Store) {
	const n, claimers = 100, 4
	a := newAccount(t, s, "acme", n*price)
	msgs := make([]openwaba.Message, n)
	for i := range msgs {
		msgs[i] = textMessage(recipient1, price, t0)
	}
	accept(t, s, a.ID, msgs...)

	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range claimers {
		wg.Go(func() {
			for {
				got, err := s.ClaimDue(t.Context(), t0, time.Hour, 7)
				if err != nil {
					t.Errorf("ClaimDue: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct messages claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("message %d claimed %d times", id, k)
		}
	}
}

// testCancelRacesClaim: 50 requests each accept a message and cancel it at
// once, while two dispatchers claim. Every message ends up either claimed
// or cancelled, never both, and each cancelled one is refunded exactly once.
func testCancelRacesClaim(t *testing.T, s openwaba.Store) {
	const n = 50
	a := newAccount(t, s, "acme", n*price)

	var mu sync.Mutex
	accepted, cancelled, refused, claimed := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]int{}

	var clients sync.WaitGroup
	for range n {
		clients.Go(func() {
			res, err := s.Accept(t.Context(), a.ID, []openwaba.Message{textMessage(recipient1, price, t0)})
			if err != nil {
				t.Errorf("Accept: %v", err)
				return
			}
			id := res.Messages[0].ID
			_, err = s.Cancel(t.Context(), a.ID, id, t0)
			mu.Lock()
			defer mu.Unlock()
			accepted[id] = true
			switch {
			case err == nil:
				cancelled[id] = true
			case errors.Is(err, openwaba.ErrAlreadySent):
				refused[id] = true
			default:
				t.Errorf("Cancel: %v", err)
			}
		})
	}

	var done atomic.Bool
	var dispatchers sync.WaitGroup
	for range 2 {
		dispatchers.Go(func() {
			for {
				// Read before claiming: a claim that comes back empty after
				// the clients finished has seen every message.
				last := done.Load()
				got, err := s.ClaimDue(t.Context(), t0, time.Hour, 5)
				if err != nil {
					t.Errorf("ClaimDue: %v", err)
					return
				}
				mu.Lock()
				for _, m := range got {
					claimed[m.ID]++
				}
				mu.Unlock()
				if last && len(got) == 0 {
					return
				}
			}
		})
	}
	clients.Wait()
	done.Store(true)
	dispatchers.Wait()

	if len(accepted) != n {
		t.Fatalf("%d messages accepted, want %d", len(accepted), n)
	}
	for id := range accepted {
		c, k := cancelled[id], claimed[id]
		switch {
		case c && k > 0:
			t.Errorf("message %d was cancelled and claimed", id)
		case !c && k == 0:
			t.Errorf("message %d was neither cancelled nor claimed", id)
		case k > 1:
			t.Errorf("message %d claimed %d times", id, k)
		case k == 1 && !refused[id]:
			t.Errorf("message %d was claimed but its Cancel did not say ErrAlreadySent", id)
		}
		m := message(t, s, a.ID, id)
		if c && (m.Status != openwaba.StatusDeleted || !m.Refunded) {
			t.Errorf("cancelled message %d is %s, refunded %v", id, m.Status, m.Refunded)
		}
		if !c && (m.Status != openwaba.StatusQueued || m.Refunded) {
			t.Errorf("claimed message %d is %s, refunded %v", id, m.Status, m.Refunded)
		}
	}
	r := refunds(t, s, a.ID)
	for id := range accepted {
		if want := map[bool]int{true: 1, false: 0}[cancelled[id]]; r[id] != want {
			t.Errorf("message %d refunded %d times, want %d", id, r[id], want)
		}
	}
	checkBalance(t, s, a.ID, openwaba.Micros(len(cancelled))*price)
	t.Logf("%d cancelled, %d claimed first", len(cancelled), len(refused))
}

// testLedgerUnderRaces: accepts that compete for the balance race with
// cancels, failures and expiries that refund, each tried twice at once.
// Afterwards every refunded message was refunded exactly once, and the
// balance is the ledger's sum and what the messages say.
func testLedgerUnderRaces(t *testing.T, s openwaba.Store) {
	const first, later = 40, 30
	a := newAccount(t, s, "acme", (first+10)*price)
	var ids []int64
	for range first {
		ids = append(ids, acceptOne(t, s, a.ID).ID)
	}
	claimed := claim(t, s, t0, time.Hour, first/2)

	var wg sync.WaitGroup
	var accepted atomic.Int32
	for range later {
		wg.Go(func() {
			_, err := s.Accept(t.Context(), a.ID, []openwaba.Message{textMessage(recipient2, price, t0)})
			switch {
			case err == nil:
				accepted.Add(1)
			case !errors.Is(err, openwaba.ErrInsufficientBalance):
				t.Errorf("Accept: %v", err)
			}
		})
	}
	isClaimed := map[int64]bool{}
	for _, id := range claimed {
		isClaimed[id] = true
	}
	for i, id := range ids {
		for range 2 {
			wg.Go(func() {
				var err error
				switch {
				case isClaimed[id] && i%2 == 0:
					err = s.Fail(t.Context(), id, openwaba.StatusFailed, 131026, "undeliverable", t0.Add(time.Second))
				case isClaimed[id]:
					err = s.Fail(t.Context(), id, openwaba.StatusExpired, 0, "", t0.Add(time.Second))
				default:
					_, err = s.Cancel(t.Context(), a.ID, id, t0.Add(time.Second))
				}
				if err != nil && !errors.Is(err, openwaba.ErrConflict) && !errors.Is(err, openwaba.ErrAlreadySent) {
					t.Errorf("ending message %d: %v", id, err)
				}
			})
		}
	}
	wg.Wait()

	got := refunds(t, s, a.ID)
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("message %d refunded %d times, want once", id, got[id])
		}
	}
	// All first messages were refunded; only the later accepts cost money.
	want := (first+10)*price - openwaba.Micros(accepted.Load())*price
	if want < 0 {
		t.Fatalf("balance went below zero: %d accepted", accepted.Load())
	}
	checkBalance(t, s, a.ID, want)
}
