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
