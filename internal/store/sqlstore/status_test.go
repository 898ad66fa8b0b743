package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// TestStatusBatchIsolation: the status reports of webhooks arriving at
// once share a write (batch.Group), but a webhook whose report the
// database refuses fails alone; the others are applied. PostgreSQL
// refuses an error code beyond its INTEGER column's range; SQLite stores
// any integer, so there is nothing to refuse there. (Text that is not
// UTF-8, which PostgreSQL refuses too, cannot make one: Meta's webhooks
// are JSON, whose decoder replaces such bytes, and so does the encoder of
// the reports' rows, statusWrite.)
func TestStatusBatchIsolation(t *testing.T) {
	for _, e := range engines(t) {
		if e.name != "postgres" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			testStatusBatchIsolation(t, e.openAt(t, e.fresh(t)))
		})
	}
}

func testStatusBatchIsolation(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, err := s.CreateAccount(ctx, openwaba.Account{Name: "acme", Balance: 1_000})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	ids := make([]int64, n)
	for i := range n {
		res, err := s.Accept(ctx, a.ID, []openwaba.Message{textMessage("4917600000001")})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.Messages[0].ID
		if _, err := s.ClaimDue(ctx, t0, time.Minute, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSubmitted(ctx, ids[i], fmt.Sprintf("wamid.iso.%d", i), t0); err != nil {
			t.Fatal(err)
		}
	}
	bad := n / 2
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := openwaba.StatusUpdate{WAMID: fmt.Sprintf("wamid.iso.%d", i), Status: openwaba.StatusFailed, At: t0,
				ErrorCode: 131026, ErrorText: "undeliverable"}
			if i == bad {
				u.ErrorCode = 1 << 40
			}
			_, err := s.ApplyStatuses(ctx, []openwaba.StatusUpdate{u})
			switch {
			case i == bad && err == nil:
				t.Error("PostgreSQL took an error code beyond INTEGER")
			case i != bad && err != nil:
				t.Errorf("ApplyStatuses %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i, id := range ids {
		m, err := s.Message(ctx, a.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := i != bad; (m.Status == openwaba.StatusFailed) != want {
			t.Errorf("message %d is %s; failed applied: %v, want %v", i, m.Status, m.Status == openwaba.StatusFailed, want)
		}
	}
}
