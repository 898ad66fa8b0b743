package sqlstore_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
	"github.com/openwaba/openwaba/internal/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// engine is one database engine the store runs on: where a fresh, empty
// database is, and how the store opens one.
type engine struct {
	name string
	// fresh returns the location of a new empty database. For PostgreSQL,
	// one server database per test run holds a schema per store.
	fresh func(t testing.TB) string
	open  func(ctx context.Context, location string, opts sqlstore.Options) (*sqlstore.Store, error)
}

// engines are both engines; every test of this file runs on each.
func engines(t testing.TB) []engine {
	// The server database belongs to t, the test that asked for the
	// engines, so that it outlives the subtests that share it.
	pgDatabase := sync.OnceValue(func() string { return pgtest.Database(t) })
	return []engine{
		{
			name:  "sqlite",
			fresh: func(t testing.TB) string { return filepath.Join(t.TempDir(), "openwaba.db") },
			open:  sqlstore.OpenSQLite,
		},
		{
			name: "postgres",
			fresh: func(t testing.TB) string {
				return pgtest.Schema(t, pgDatabase())
			},
			open: sqlstore.OpenPostgres,
		},
	}
}

// openAt opens the store at location and closes it when t ends.
func (e engine) openAt(t testing.TB, location string) *sqlstore.Store {
	t.Helper()
	s, err := e.open(context.Background(), location, sqlstore.Options{Logger: quiet()})
	if err != nil {
		t.Fatalf("open %s: %v", e.name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the store suite on each engine, an empty store per
// test; Reopen opens the store's database again, as a restart does.
func TestConformance(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			var locations sync.Map // openwaba.Store → where its database is
			storetest.RunEngine(t, storetest.Engine{
				Open: func(t *testing.T) openwaba.Store {
					location := e.fresh(t)
					s := e.openAt(t, location)
					locations.Store(s, location)
					return s
				},
				Reopen: func(t *testing.T, s openwaba.Store) openwaba.Store {
					location, ok := locations.Load(s)
					if !ok {
						t.Fatal("Reopen of a store Open did not return")
					}
					if err := s.Close(); err != nil {
						t.Fatalf("Close: %v", err)
					}
					r := e.openAt(t, location.(string))
					locations.Store(r, location)
					return r
				},
			})
		})
	}
}

// TestReopen checks that what was committed survives Close and that
// opening a migrated database works.
func TestReopen(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			location := e.fresh(t)
			s, err := e.open(ctx, location, sqlstore.Options{Logger: quiet()})
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

			s = e.openAt(t, location)
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
		})
	}
}
