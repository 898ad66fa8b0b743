package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// What the conformance suite cannot see: several processes (here, several
// Stores with pools of their own) on one database.

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// nodes opens n stores on one fresh schema, all at once, as nodes starting
// together would: the migration lock lets exactly one of them migrate.
func nodes(t *testing.T, n int) []*sqlstore.Store {
	t.Helper()
	url := pgtest.Schema(t, pgtest.Database(t))
	stores := make([]*sqlstore.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = sqlstore.OpenPostgres(t.Context(), url, sqlstore.Options{Logger: quiet()})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	return stores
}

func textMessage(to string) openwaba.Message {
	return openwaba.Message{
		Sender: "4915100000001", Recipient: to, Price: 1,
		Content:   openwaba.Content{Type: openwaba.TypeText, Text: "hello"},
		TTL:       openwaba.DefaultTTL,
		CreatedAt: t0, ExpiresAt: t0.Add(openwaba.DefaultTTL),
	}
}

func TestNodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, stores []*sqlstore.Store)
	}{
		{"StartTogether", func(t *testing.T, stores []*sqlstore.Store) {
			// nodes() already opened them concurrently; each must work.
			for i, s := range stores {
				if _, err := s.CreateAccount(t.Context(), openwaba.Account{Name: fmt.Sprint("node", i)}); err != nil {
					t.Errorf("node %d: %v", i, err)
				}
			}
		}},
		{"NeverClaimTheSame", testNodesNeverClaimTheSame},
		{"DeliverInOrder", testNodesDeliverInOrder},
		{"EarlyStatusMeetsMarkSubmitted", testEarlyStatusRace},
		{"AcceptsShareTheBalance", testNodesShareTheBalance},
		{"AcceptsAcrossAccounts", testNodesAcceptAcrossAccounts},
		{"TakeTurnsInExclusive", testNodesExclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, nodes(t, 3))
		})
	}
}

// testNodesNeverClaimTheSame: dispatchers on three nodes claim one queue;
// every message is claimed once, none twice.
func testNodesNeverClaimTheSame(t *testing.T, stores []*sqlstore.Store) {
	const n = 300
	a, err := stores[0].CreateAccount(t.Context(), openwaba.Account{Name: "acme", Balance: n})
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]openwaba.Message, n)
	for i := range msgs {
		msgs[i] = textMessage("4917600000001")
	}
	if _, err := stores[1].Accept(t.Context(), a.ID, msgs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 2 {
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

// testEarlyStatusRace: Meta's sent report for a message reaches one node
// while another stores the wamid. Whatever the interleaving, the report is
// applied, never left waiting for a wamid that is already stored.
func testEarlyStatusRace(t *testing.T, stores []*sqlstore.Store) {
	const n = 100
	a, err := stores[0].CreateAccount(t.Context(), openwaba.Account{Name: "acme", Balance: n})
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]openwaba.Message, n)
	for i := range msgs {
		msgs[i] = textMessage("4917600000001")
	}
	res, err := stores[0].Accept(t.Context(), a.ID, msgs)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := stores[0].ClaimDue(t.Context(), t0, time.Hour, n); err != nil || len(got) != n {
		t.Fatalf("ClaimDue = %d, %v", len(got), err)
	}
	var wg sync.WaitGroup
	for i, m := range res.Messages {
		wamid := fmt.Sprintf("wamid.race.%d", i)
		wg.Go(func() {
			if err := stores[1].MarkSubmitted(t.Context(), m.ID, wamid, t0); err != nil {
				t.Errorf("MarkSubmitted: %v", err)
			}
		})
		wg.Go(func() {
			u := openwaba.StatusUpdate{WAMID: wamid, Status: openwaba.StatusSent, At: t0.Add(time.Second)}
			if _, err := stores[2].ApplyStatus(t.Context(), u); err != nil {
				t.Errorf("ApplyStatus: %v", err)
			}
		})
	}
	wg.Wait()
	for _, m := range res.Messages {
		got, err := stores[0].Message(t.Context(), a.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != openwaba.StatusSent {
			t.Errorf("message %d is %s, want sent: its report was lost", m.ID, got.Status)
		}
	}
}

// testNodesShareTheBalance: requests on three nodes race for a balance
// that pays for a third of them.
func testNodesShareTheBalance(t *testing.T, stores []*sqlstore.Store) {
	const callers, affordable = 90, 30
	a, err := stores[0].CreateAccount(t.Context(), openwaba.Account{Name: "acme", Balance: affordable})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ok := 0
	var wg sync.WaitGroup
	for i := range callers {
		s := stores[i%len(stores)]
		wg.Go(func() {
			_, err := s.Accept(t.Context(), a.ID, []openwaba.Message{textMessage("4917600000001")})
			if err != nil && !isShort(err) {
				t.Errorf("Accept: %v", err)
				return
			}
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != affordable {
		t.Errorf("%d accepted, want %d", ok, affordable)
	}
	got, err := stores[2].Account(t.Context(), a.ID)
	if err != nil || got.Balance != 0 {
		t.Errorf("balance %v, %v; want 0", got.Balance, err)
	}
}

func isShort(err error) bool { return errors.Is(err, openwaba.ErrInsufficientBalance) }

// testNodesAcceptAcrossAccounts: three nodes group-commit requests of the
// same five accounts in different orders. Each batch locks its accounts in
// id order, so they wait for each other but never deadlock, and every
// balance ends where the requests put it.
func testNodesAcceptAcrossAccounts(t *testing.T, stores []*sqlstore.Store) {
	const accounts, perAccount = 5, 60
	ids := make([]int64, accounts)
	for i := range ids {
		a, err := stores[0].CreateAccount(t.Context(), openwaba.Account{Name: fmt.Sprint("a", i), Balance: 1_000})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = a.ID
	}
	var wg sync.WaitGroup
	for k := range accounts * perAccount {
		s, id := stores[k%len(stores)], ids[(k*7)%accounts]
		wg.Go(func() {
			if _, err := s.Accept(t.Context(), id, []openwaba.Message{textMessage("4917600000001")}); err != nil {
				t.Errorf("Accept: %v", err)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		a, err := stores[1].Account(t.Context(), id)
		if err != nil || a.Balance != 1_000-perAccount {
			t.Errorf("account %d: balance %v, %v; want %d", id, a.Balance, err, 1_000-perAccount)
		}
	}
}

// testNodesExclusive: what nodes run under Exclusive with one name never
// overlaps.
func testNodesExclusive(t *testing.T, stores []*sqlstore.Store) {
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 3 {
			wg.Go(func() {
				err := s.Exclusive(t.Context(), "bootstrap", func(ctx context.Context) error {
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(5 * time.Millisecond)
					inside.Add(-1)
					return nil
				})
				if err != nil {
					t.Errorf("Exclusive: %v", err)
				}
			})
		}
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d ran at once under Exclusive, want 1", most.Load())
	}
}

// testNodesDeliverInOrder: webhook deliverers on three nodes share one
// outbox. Each delivery is claimed once, and the deliveries of one hook
// and message go out one after the other, in the order they were made:
// never two of them in flight at once.
func testNodesDeliverInOrder(t *testing.T, stores []*sqlstore.Store) {
	ctx := t.Context()
	a, err := stores[0].CreateAccount(ctx, openwaba.Account{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := stores[0].CreateHook(ctx, openwaba.Hook{AccountID: a.ID, TargetURL: "https://example.com/h",
			EventType: openwaba.HookAll, RequestMethod: "JSON"}); err != nil {
			t.Fatal(err)
		}
	}
	const messages, events = 8, 15
	for e := range events {
		for m := range messages {
			if err := stores[e%3].EnqueueEvent(ctx, a.ID, openwaba.HookTracking, "4915100000001", int64(m+1),
				fmt.Appendf(nil, "%d", e), t0); err != nil {
				t.Fatal(err)
			}
		}
	}

	type order struct{ hook, message int64 }
	var mu sync.Mutex
	inFlight := map[order]bool{}
	last := map[order]int64{} // id of the order's last delivery
	delivered := 0
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 2 {
			wg.Go(func() {
				for {
					got, err := s.ClaimDeliveries(ctx, t0, time.Hour, 5)
					if err != nil {
						t.Errorf("ClaimDeliveries: %v", err)
						return
					}
					if len(got) == 0 {
						if _, pending, err := s.NextDelivery(ctx); err != nil || !pending {
							return // all delivered (or failed: reported below)
						}
						time.Sleep(time.Millisecond) // the heads are leased by others
						continue
					}
					mu.Lock()
					for _, d := range got {
						o := order{d.Hook.ID, d.MessageID}
						if inFlight[o] {
							t.Errorf("delivery %d claimed while another of hook %d, message %d is in flight", d.ID, o.hook, o.message)
						}
						if d.ID <= last[o] {
							t.Errorf("delivery %d of hook %d, message %d after %d", d.ID, o.hook, o.message, last[o])
						}
						inFlight[o], last[o] = true, d.ID
					}
					mu.Unlock()
					for _, d := range got {
						mu.Lock()
						inFlight[order{d.Hook.ID, d.MessageID}] = false
						delivered++
						mu.Unlock()
						// Done after clearing: the next of the order may be
						// claimed as soon as this commits.
						if err := s.DeliveryDone(ctx, d.ID); err != nil {
							t.Errorf("DeliveryDone %d: %v", d.ID, err)
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	if want := 2 * messages * events; delivered != want {
		t.Fatalf("delivered %d, want %d (each once)", delivered, want)
	}
}
