package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/postgres"
	"github.com/openwaba/openwaba/internal/store/postgres/pgtest"
	"github.com/openwaba/openwaba/internal/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{Logger: quiet()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the store suite with one database for the run and
// a fresh schema, so an empty store, per test; Reopen opens the store's
// schema again.
func TestConformance(t *testing.T) {
	db := pgtest.Database(t)
	var urls sync.Map // openwaba.Store → the URL of its schema
	storetest.RunEngine(t, storetest.Engine{
		Open: func(t *testing.T) openwaba.Store {
			url := pgtest.Schema(t, db)
			s := open(t, url)
			urls.Store(s, url)
			return s
		},
		Reopen: func(t *testing.T, s openwaba.Store) openwaba.Store {
			url, ok := urls.Load(s)
			if !ok {
				t.Fatal("Reopen of a store Open did not return")
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			r := open(t, url.(string))
			urls.Store(r, url)
			return r
		},
	})
}

// TestReopen checks that what was committed survives Close and that
// opening a migrated database works.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.Schema(t, pgtest.Database(t))
	s, err := postgres.Open(ctx, url, postgres.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a, err := s.CreateAccount(ctx, openwaba.Account{Name: "acme", Balance: 1_000_000, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Accept(ctx, a.ID, []openwaba.Message{{
		Sender: "4915100000001", Recipient: "4917600000001", Price: 100_000,
		Content: openwaba.Content{Type: openwaba.TypeText, Text: "hi"}, CreatedAt: t0,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Account(ctx, a.ID); err == nil {
		t.Error("a closed store still answers")
	}

	s = open(t, url)
	got, err := s.Account(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Balance != 900_000 {
		t.Errorf("balance after reopening %v, want 0.9", got.Balance)
	}
	m, err := s.Message(ctx, a.ID, res.Messages[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Content.Text != "hi" || m.Status != openwaba.StatusQueued {
		t.Errorf("message after reopening: %+v", m)
	}
	claimed, err := s.ClaimDue(ctx, t0, time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Errorf("ClaimDue after reopening = %d messages, %v; want the queued one", len(claimed), err)
	}
}
