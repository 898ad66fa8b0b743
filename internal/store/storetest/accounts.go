package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var accountTests = []test{
	{"CreateAndGet", testCreateAccount},
	{"StartingBalanceIsBooked", testStartingBalance},
	{"Credit", testCredit},
	{"CreditWithinLimit", testCreditLimit},
	{"LedgerIsPerAccount", testLedgerIsolation},
	{"APIKeys", testAPIKeys},
	{"APIKeyConflicts", testAPIKeyConflicts},
	{"APIKeyListRevokeTouch", testAPIKeyLifecycle},
	{"SigningSecret", testSigningSecret},
}

func testCreateAccount(t *testing.T, s openwaba.Store) {
	a, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "acme", CreatedAt: t0})
	wantErr(t, "CreateAccount", err, nil)
	if a.ID == 0 {
		t.Fatal("CreateAccount returned no ID")
	}
	equal(t, "created", a, openwaba.Account{ID: a.ID, Name: "acme", Currency: "EUR", CreatedAt: t0})
	got, err := s.Account(t.Context(), a.ID)
	wantErr(t, "Account", err, nil)
	equal(t, "Account", got, a)

	b, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "bolt", Currency: "USD", CreatedAt: t0.Add(time.Hour)})
	wantErr(t, "CreateAccount", err, nil)
	if b.ID == a.ID {
		t.Fatalf("two accounts share ID %d", a.ID)
	}
	all, err := s.Accounts(t.Context())
	wantErr(t, "Accounts", err, nil)
	equal(t, "Accounts", all, []openwaba.Account{a, b})

	_, err = s.Account(t.Context(), b.ID+1000)
	wantErr(t, "Account of an unknown id", err, openwaba.ErrNotFound)
}

func testStartingBalance(t *testing.T, s openwaba.Store) {
	a, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "acme", Balance: 5_000_000, CreatedAt: t0})
	wantErr(t, "CreateAccount", err, nil)
	if a.Balance != 5_000_000 {
		t.Errorf("balance %v, want 5", a.Balance)
	}
	checkBalance(t, s, a.ID, 5_000_000)
}

func testCredit(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 0)
	steps := []struct {
		amount openwaba.Micros
		reason string
		want   openwaba.Micros
	}{
		{10_000_000, openwaba.ReasonTopUp, 10_000_000},
		{-3_000_000, "correction", 7_000_000},
		{73_500, openwaba.ReasonTopUp, 7_073_500},
		{-8_000_000, "chargeback", -926_500}, // an operator may go below zero
	}
	for _, st := range steps {
		got, err := s.Credit(t.Context(), a.ID, st.amount, st.reason)
		wantErr(t, "Credit", err, nil)
		if got != st.want {
			t.Errorf("Credit(%v) = %v, want %v", st.amount, got, st.want)
		}
	}
	checkBalance(t, s, a.ID, -926_500)
	entries, err := s.Ledger(t.Context(), a.ID)
	wantErr(t, "Ledger", err, nil)
	if len(entries) != len(steps) {
		t.Fatalf("%d ledger entries, want %d", len(entries), len(steps))
	}
	for i, e := range entries {
		if e.Amount != steps[i].amount || e.Reason != steps[i].reason || e.MessageID != 0 || e.ID == 0 {
			t.Errorf("entry %d = %+v, want amount %v reason %q", i, e, steps[i].amount, steps[i].reason)
		}
	}

	_, err = s.Credit(t.Context(), a.ID+1000, 1, openwaba.ReasonTopUp)
	wantErr(t, "Credit of an unknown account", err, openwaba.ErrNotFound)
}

func testLedgerIsolation(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 2_000_000)
	acceptOne(t, s, a.ID)
	checkBalance(t, s, a.ID, 1_000_000-price)
	checkBalance(t, s, b.ID, 2_000_000)
	entries, err := s.Ledger(t.Context(), b.ID)
	wantErr(t, "Ledger", err, nil)
	if len(entries) != 1 {
		t.Errorf("account b has %d ledger entries, want its 1 top-up", len(entries))
	}
}

func testAPIKeys(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 0)
	hash := sha256.Sum256([]byte("secret"))
	expires := t0.Add(30 * 24 * time.Hour)
	k, err := s.CreateAPIKey(t.Context(), openwaba.APIKey{
		AccountID: a.ID,
		Name:      "ci",
		Hash:      hash[:],
		Scopes:    []openwaba.Scope{openwaba.ScopeWABA, openwaba.ScopeAdmin},
		CreatedAt: t0,
		ExpiresAt: &expires,
	})
	wantErr(t, "CreateAPIKey", err, nil)
	if k.ID == 0 {
		t.Fatal("CreateAPIKey returned no ID")
	}
	got, err := s.APIKeyByHash(t.Context(), hash[:])
	wantErr(t, "APIKeyByHash", err, nil)
	equal(t, "APIKeyByHash", got, k)
	if !got.HasScope(openwaba.ScopeAdmin) || got.HasScope(openwaba.ScopeHooks) {
		t.Errorf("scopes %v, want waba and admin", got.Scopes)
	}
	if !got.Usable(t0) || got.Usable(expires) {
		t.Error("key's expiry did not survive storage")
	}
	if !bytes.Equal(got.Hash, hash[:]) {
		t.Errorf("hash %x, want %x", got.Hash, hash)
	}

	bare := sha256.Sum256([]byte("other"))
	k2, err := s.CreateAPIKey(t.Context(), openwaba.APIKey{AccountID: a.ID, Hash: bare[:], CreatedAt: t0})
	wantErr(t, "CreateAPIKey without scopes", err, nil)
	got2, err := s.APIKeyByHash(t.Context(), bare[:])
	wantErr(t, "APIKeyByHash", err, nil)
	if got2.ID != k2.ID || len(got2.Scopes) != 0 || got2.ExpiresAt != nil || got2.RevokedAt != nil || got2.LastUsedAt != nil {
		t.Errorf("bare key = %+v, want no scopes and no times", got2)
	}

	unknown := sha256.Sum256([]byte("unknown"))
	_, err = s.APIKeyByHash(t.Context(), unknown[:])
	wantErr(t, "APIKeyByHash of an unknown hash", err, openwaba.ErrNotFound)
}

func testAPIKeyConflicts(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 0)
	hash := sha256.Sum256([]byte("secret"))
	_, err := s.CreateAPIKey(t.Context(), openwaba.APIKey{AccountID: a.ID, Hash: hash[:], CreatedAt: t0})
	wantErr(t, "CreateAPIKey", err, nil)
	_, err = s.CreateAPIKey(t.Context(), openwaba.APIKey{AccountID: a.ID, Hash: hash[:], CreatedAt: t0})
	wantErr(t, "CreateAPIKey with a stored hash", err, openwaba.ErrConflict)
	other := sha256.Sum256([]byte("other"))
	_, err = s.CreateAPIKey(t.Context(), openwaba.APIKey{AccountID: a.ID + 1000, Hash: other[:], CreatedAt: t0})
	wantErr(t, "CreateAPIKey for an unknown account", err, openwaba.ErrNotFound)
}

func testAPIKeyLifecycle(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	var keys []openwaba.APIKey
	for i, acct := range []int64{a.ID, b.ID, a.ID} {
		h := sha256.Sum256([]byte{byte(i)})
		k, err := s.CreateAPIKey(t.Context(), openwaba.APIKey{AccountID: acct, Hash: h[:], Scopes: []openwaba.Scope{openwaba.ScopeWABA}, CreatedAt: t0})
		wantErr(t, "CreateAPIKey", err, nil)
		keys = append(keys, k)
	}
	list, err := s.APIKeys(t.Context(), a.ID)
	wantErr(t, "APIKeys", err, nil)
	equal(t, "APIKeys of a", list, []openwaba.APIKey{keys[0], keys[2]})

	// Another account's key can be neither revoked nor seen.
	_, err = s.RevokeAPIKey(t.Context(), a.ID, keys[1].ID, t0)
	wantErr(t, "RevokeAPIKey of a foreign key", err, openwaba.ErrNotFound)
	if k, _ := s.APIKeyByHash(t.Context(), keys[1].Hash); k.RevokedAt != nil {
		t.Fatal("a foreign key was revoked")
	}

	at := t0.Add(time.Hour)
	rk, err := s.RevokeAPIKey(t.Context(), a.ID, keys[0].ID, at)
	wantErr(t, "RevokeAPIKey", err, nil)
	if rk.RevokedAt == nil || !rk.RevokedAt.Equal(at) || rk.Usable(at) {
		t.Fatalf("revoked key = %+v", rk)
	}
	again, err := s.RevokeAPIKey(t.Context(), a.ID, keys[0].ID, at.Add(time.Hour))
	wantErr(t, "RevokeAPIKey again", err, nil)
	if !again.RevokedAt.Equal(at) {
		t.Errorf("second revocation moved the time to %v", again.RevokedAt)
	}
	got, err := s.APIKeyByHash(t.Context(), keys[0].Hash)
	wantErr(t, "APIKeyByHash", err, nil)
	if got.Usable(at) {
		t.Error("a revoked key is usable")
	}

	// Last used moves forward only.
	for _, ts := range []time.Time{t0.Add(2 * time.Minute), t0.Add(time.Minute)} {
		wantErr(t, "TouchAPIKey", s.TouchAPIKey(t.Context(), keys[2].ID, ts), nil)
	}
	got, _ = s.APIKeyByHash(t.Context(), keys[2].Hash)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("last used %v, want %v", got.LastUsedAt, t0.Add(2*time.Minute))
	}
}

func testSigningSecret(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	wantErr(t, "SetSigningSecret", s.SetSigningSecret(t.Context(), a.ID, "s3cret"), nil)
	got, _ := s.Account(t.Context(), a.ID)
	if got.SigningSecret != "s3cret" {
		t.Errorf("signing secret %q", got.SigningSecret)
	}
	if other, _ := s.Account(t.Context(), b.ID); other.SigningSecret != "" {
		t.Errorf("the other account got secret %q", other.SigningSecret)
	}
	wantErr(t, "SetSigningSecret off", s.SetSigningSecret(t.Context(), a.ID, ""), nil)
	if got, _ := s.Account(t.Context(), a.ID); got.SigningSecret != "" {
		t.Errorf("signing secret %q after turning it off", got.SigningSecret)
	}
	wantErr(t, "SetSigningSecret of an unknown account", s.SetSigningSecret(t.Context(), b.ID+1000, "x"), openwaba.ErrNotFound)
}

// testCreditLimit: a booking beyond openwaba.Credited's limits is refused
// and books nothing, so the balance never overflows and stays the ledger's
// sum (the limits themselves are tested with the rule in the root package).
func testCreditLimit(t *testing.T, s openwaba.Store) {
	ctx := t.Context()
	a, err := s.CreateAccount(ctx, openwaba.Account{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credit(ctx, a.ID, openwaba.MaxAmount, "topup"); err != nil {
		t.Fatalf("Credit(MaxAmount): %v", err)
	}
	for _, amount := range []openwaba.Micros{openwaba.MaxAmount + 1, -openwaba.MaxAmount - 1, 1 << 62} {
		if _, err := s.Credit(ctx, a.ID, amount, "topup"); !errors.Is(err, openwaba.ErrBalanceLimit) {
			t.Errorf("Credit(%s): %v, want ErrBalanceLimit", amount, err)
		}
	}
	got, err := s.Account(ctx, a.ID)
	if err != nil || got.Balance != openwaba.MaxAmount {
		t.Errorf("balance %v, %v; want only the first booking", got.Balance, err)
	}
	ledger, err := s.Ledger(ctx, a.ID)
	if err != nil || len(ledger) != 1 {
		t.Errorf("ledger %v, %v; want one row", ledger, err)
	}
}
