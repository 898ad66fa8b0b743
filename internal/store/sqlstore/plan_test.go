package sqlstore

import (
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// planT0 is when the plan tests' messages are made.
var planT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// acceptForPlans stores n text messages of a new account, the i-th due at
// due(i): rows for the planner to decide on, as it would on a real
// database.
func acceptForPlans(t *testing.T, s *Store, n int, due func(i int) time.Time) {
	t.Helper()
	a, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]openwaba.Message, 0, n)
	for i := range n {
		msgs = append(msgs, openwaba.Message{
			Sender: "4915100000001", Recipient: "4917600000001",
			Content:   openwaba.Content{Type: openwaba.TypeText, Text: "hi"},
			CreatedAt: planT0, ScheduledAt: due(i), ExpiresAt: due(i).Add(time.Hour),
		})
	}
	if _, err := s.Accept(t.Context(), a.ID, msgs); err != nil {
		t.Fatal(err)
	}
}
