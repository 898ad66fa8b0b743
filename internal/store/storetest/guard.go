package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var priceTests = []test{
	{"SetListDelete", testPrices},
}

var guardTests = []test{
	{"Nonces", testNonces},
	{"IdempotencyLifecycle", testIdempotency},
	{"IdempotencyConcurrentBegin", testIdempotencyConcurrent},
}

func testPrices(t *testing.T, s openwaba.Store) {
	rows := []openwaba.Price{
		{Currency: "EUR", Prefix: "", Category: openwaba.CategoryMarketing, Amount: 70_000, UpdatedAt: t0},
		{Currency: "EUR", Prefix: "49", Category: openwaba.CategoryMarketing, Amount: 130_000, UpdatedAt: t0},
		{Currency: "USD", Prefix: "1", Category: openwaba.CategoryUtility, Amount: 4_000, UpdatedAt: t0},
	}
	for _, p := range rows {
		wantErr(t, "SetPrice", s.SetPrice(t.Context(), p), nil)
	}
	got, err := s.Prices(t.Context(), "EUR")
	wantErr(t, "Prices", err, nil)
	equal(t, "EUR prices", got, rows[:2])
	all, err := s.Prices(t.Context(), "")
	wantErr(t, "Prices", err, nil)
	equal(t, "all prices", all, rows)

	// Setting a row again replaces its amount.
	changed := rows[1]
	changed.Amount, changed.UpdatedAt = 140_000, t0.Add(time.Hour)
	wantErr(t, "SetPrice again", s.SetPrice(t.Context(), changed), nil)
	got, _ = s.Prices(t.Context(), "EUR")
	equal(t, "EUR prices after update", got, []openwaba.Price{rows[0], changed})

	wantErr(t, "DeletePrice", s.DeletePrice(t.Context(), "EUR", "49", openwaba.CategoryMarketing), nil)
	wantErr(t, "DeletePrice again", s.DeletePrice(t.Context(), "EUR", "49", openwaba.CategoryMarketing), openwaba.ErrNotFound)
	got, _ = s.Prices(t.Context(), "EUR")
	equal(t, "EUR prices after delete", got, rows[:1])
}

func testNonces(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	exp := t0.Add(time.Minute)
	wantErr(t, "UseNonce", s.UseNonce(t.Context(), a.ID, "n1", t0, exp), nil)
	wantErr(t, "UseNonce replayed", s.UseNonce(t.Context(), a.ID, "n1", t0.Add(time.Second), exp), openwaba.ErrConflict)
	wantErr(t, "UseNonce of another account", s.UseNonce(t.Context(), b.ID, "n1", t0, exp), nil)
	wantErr(t, "UseNonce other nonce", s.UseNonce(t.Context(), a.ID, "n2", t0, exp), nil)
	// Once expired, a nonce is forgotten (its timestamp is refused anyway).
	wantErr(t, "UseNonce after expiry", s.UseNonce(t.Context(), a.ID, "n1", exp.Add(time.Millisecond), exp.Add(time.Minute)), nil)
	wantErr(t, "UseNonce of an unknown account", s.UseNonce(t.Context(), b.ID+1000, "n", t0, exp), openwaba.ErrNotFound)
}

func testIdempotency(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	rec := openwaba.IdempotencyRecord{AccountID: a.ID, Key: "k1", RequestHash: []byte{1, 2, 3}, CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	got, created, err := s.BeginIdempotent(t.Context(), rec, t0)
	wantErr(t, "BeginIdempotent", err, nil)
	if !created || got.Done() {
		t.Fatalf("first begin: created %v, record %+v", created, got)
	}
	equal(t, "begun", got, rec)

	second := rec
	second.RequestHash = []byte{9}
	got, created, err = s.BeginIdempotent(t.Context(), second, t0.Add(time.Second))
	wantErr(t, "BeginIdempotent again", err, nil)
	if created || !bytes.Equal(got.RequestHash, rec.RequestHash) || got.Done() {
		t.Fatalf("second begin: created %v, record %+v", created, got)
	}

	// The same key of another account is another record.
	other := rec
	other.AccountID = b.ID
	if _, created, err := s.BeginIdempotent(t.Context(), other, t0); err != nil || !created {
		t.Fatalf("other account: created %v, %v", created, err)
	}

	wantErr(t, "FinishIdempotent", s.FinishIdempotent(t.Context(), a.ID, "k1", 200, []byte(`{"ok":1}`)), nil)
	wantErr(t, "FinishIdempotent twice", s.FinishIdempotent(t.Context(), a.ID, "k1", 200, []byte(`{}`)), openwaba.ErrNotFound)
	got, err = s.IdempotencyRecord(t.Context(), a.ID, "k1")
	wantErr(t, "IdempotencyRecord", err, nil)
	if got.Status != 200 || string(got.Body) != `{"ok":1}` {
		t.Fatalf("finished record %+v", got)
	}
	got, created, _ = s.BeginIdempotent(t.Context(), rec, t0.Add(time.Hour))
	if created || got.Status != 200 || string(got.Body) != `{"ok":1}` {
		t.Fatalf("begin after finish: created %v, %+v", created, got)
	}
	if _, err := s.IdempotencyRecord(t.Context(), b.ID, "nope"); err == nil {
		t.Fatal("unknown key found")
	}

	// Expired records are replaced.
	later := t0.Add(25 * time.Hour)
	fresh := rec
	fresh.RequestHash, fresh.CreatedAt, fresh.ExpiresAt = []byte{7}, later, later.Add(24*time.Hour)
	got, created, err = s.BeginIdempotent(t.Context(), fresh, later)
	wantErr(t, "BeginIdempotent after expiry", err, nil)
	if !created || !bytes.Equal(got.RequestHash, []byte{7}) {
		t.Fatalf("after expiry: created %v, %+v", created, got)
	}

	// An abandoned record frees its key; only running records can be.
	wantErr(t, "AbandonIdempotent", s.AbandonIdempotent(t.Context(), a.ID, "k1"), nil)
	wantErr(t, "AbandonIdempotent twice", s.AbandonIdempotent(t.Context(), a.ID, "k1"), openwaba.ErrNotFound)
	if _, created, _ := s.BeginIdempotent(t.Context(), fresh, later); !created {
		t.Fatal("key not free after abandon")
	}
}

func testIdempotencyConcurrent(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	const n = 16
	var wg sync.WaitGroup
	created := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			rec := openwaba.IdempotencyRecord{AccountID: a.ID, Key: "same", RequestHash: []byte{byte(i)}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			_, c, err := s.BeginIdempotent(t.Context(), rec, t0)
			if err != nil {
				t.Errorf("BeginIdempotent: %v", err)
			}
			created[i] = c
		})
	}
	wg.Wait()
	count := 0
	for _, c := range created {
		if c {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("%d concurrent begins created the record, want 1", count)
	}
}
