package postgres_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/postgres/pgtest"
)

// TestAcceptBatchIsolation: Accepts share transactions (group commit), but
// a request PostgreSQL rejects (a NUL byte in a text column) fails alone;
// the requests committed with it do not notice.
func TestAcceptBatchIsolation(t *testing.T) {
	t.Parallel()
	s := open(t, pgtest.Schema(t, pgtest.Database(t)))
	a, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "acme", Balance: 1_000})
	if err != nil {
		t.Fatal(err)
	}
	const good = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for i := range good + 1 {
		wg.Go(func() {
			m := textMessage("4917600000001")
			bad := i == good/2
			if bad {
				m.Text = "bad\x00text"
			}
			_, err := s.Accept(t.Context(), a.ID, []openwaba.Message{m})
			switch {
			case bad && err == nil:
				t.Error("a text with a NUL byte was accepted")
			case bad && (errors.Is(err, openwaba.ErrInsufficientBalance) || errors.Is(err, openwaba.ErrNotFound)):
				t.Errorf("bad request: %v, want PostgreSQL's error", err)
			case !bad && err != nil:
				t.Errorf("Accept: %v", err)
			case !bad:
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if accepted != good {
		t.Errorf("%d accepted, want %d", accepted, good)
	}
	got, err := s.Account(t.Context(), a.ID)
	if err != nil || got.Balance != 1_000-good {
		t.Errorf("balance %v, %v; want %d: each good request paid once, the bad one nothing", got.Balance, err, 1_000-good)
	}
}
