package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/pricing"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// TestServeAs: the console's in-process requests go through the API's
// routes as the key: its scopes apply, a revoked key does not
// authenticate, and an account that signs its requests is not asked for a
// signature the browser cannot make.
func TestServeAs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "openwaba.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := api.New(api.Config{Store: s, Pricer: pricing.Default()})
	acct, err := s.CreateAccount(ctx, openwaba.Account{Name: "a", Balance: openwaba.MicrosPerUnit})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSigningSecret(ctx, acct.ID, "ows_signing"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct {
		secret string
		scope  openwaba.Scope
	}{{"waba-key", openwaba.ScopeWABA}, {"revoked-key", openwaba.ScopeWABA}} {
		if _, err := s.CreateAPIKey(ctx, openwaba.APIKey{AccountID: acct.ID, Name: k.secret, Hash: api.HashKey(k.secret), Scopes: []openwaba.Scope{k.scope}}); err != nil {
			t.Fatal(err)
		}
	}
	revoked, err := srv.Authenticate(ctx, "revoked-key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeAPIKey(ctx, acct.ID, revoked.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"revoked-key", "no-such-key", ""} {
		if _, err := srv.Authenticate(ctx, secret); !errors.Is(err, openwaba.ErrUnauthorized) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthorized", secret, err)
		}
	}
	key, err := srv.Authenticate(ctx, "waba-key")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		path   string
		status int
	}{
		{"/api/balance", http.StatusOK},
		{"/api/waba/messages", http.StatusOK},
		{"/api/admin/accounts", http.StatusForbidden}, // no admin scope
		{"/api/hooks", http.StatusForbidden},          // no hooks scope
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		srv.ServeAs(key, rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.status {
			t.Errorf("ServeAs GET %s = %d %s, want %d", tc.path, rec.Code, rec.Body, tc.status)
		}
	}
	// The same request with the key in a header, unsigned, is refused:
	// only the in-process path skips the signature.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/balance", nil)
	req.Header.Set("X-Api-Key", "waba-key")
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("unsigned request of a signing account = %d, want 401", rec.Code)
	}
}
