package sqlstore_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// TestAcceptBatchIsolation: Accepts share transactions (group commit), but
// a request the database rejects (a short-link code that is taken) fails
// alone; the requests committed with it do not notice.
func TestAcceptBatchIsolation(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			testAcceptBatchIsolation(t, e.openAt(t, e.fresh(t)))
		})
	}
}

func testAcceptBatchIsolation(t *testing.T, s *sqlstore.Store) {
	a, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "acme", Balance: 1_000})
	if err != nil {
		t.Fatal(err)
	}
	taken := textMessage("4917600000001")
	taken.Links = []openwaba.Link{{Code: "taken", URL: "http://127.0.0.1/x"}}
	taken.Price = 0
	if _, err := s.Accept(t.Context(), a.ID, []openwaba.Message{taken}); err != nil {
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
				m.Links = []openwaba.Link{{Code: "taken", URL: "http://127.0.0.1/y"}}
			}
			_, err := s.Accept(t.Context(), a.ID, []openwaba.Message{m})
			switch {
			case bad && err == nil:
				t.Error("a taken short-link code was accepted")
			case bad && !errors.Is(err, openwaba.ErrConflict):
				t.Errorf("bad request: %v, want ErrConflict", err)
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
