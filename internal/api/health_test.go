package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/pricing"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// pingStore is a store whose Ping answers err.
type pingStore struct {
	openwaba.Store
	err error
}

func (s pingStore) Ping(context.Context) error { return s.err }

// TestHealthAndReadiness: /healthz tells whether the gateway serves (503
// while starting or draining); /readyz also whether the database answers,
// through the store's Ping or, for a store without one, a cheap read.
func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	open := func(t *testing.T) *sqlstore.Store {
		s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "openwaba.db"), sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	tests := []struct {
		name            string
		store           func(t *testing.T) openwaba.Store
		ready           bool
		healthz, readyz int
	}{
		{"starting or draining", func(t *testing.T) openwaba.Store { return open(t) }, false, 503, 503},
		{"ready", func(t *testing.T) openwaba.Store { return open(t) }, true, 200, 200},
		{"database down", func(t *testing.T) openwaba.Store {
			return pingStore{Store: open(t), err: errors.New("connection refused")}
		}, true, 200, 503},
		{"database closed", func(t *testing.T) openwaba.Store {
			s := open(t)
			s.Close()
			return s
		}, true, 200, 503},
		{"draining, database down", func(t *testing.T) openwaba.Store {
			return pingStore{Store: open(t), err: errors.New("connection refused")}
		}, false, 503, 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := api.New(api.Config{Store: tc.store(t), Pricer: pricing.Default()})
			s.SetReady(tc.ready)
			srv := httptest.NewServer(s)
			defer srv.Close()
			for path, want := range map[string]int{"/healthz": tc.healthz, "/readyz": tc.readyz} {
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
				}
			}
		})
	}
}
