package cached_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/cached"
	"github.com/openwaba/openwaba/internal/store/pgtest"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// twoProcesses opens one database twice: the gateway's store, read
// through the cache, and another process's (the CLI, another node),
// which writes behind the cache's back.
func twoProcesses(t *testing.T, engine string) (gateway, other openwaba.Store) {
	t.Helper()
	open := func(location string, o func(context.Context, string, sqlstore.Options) (*sqlstore.Store, error)) openwaba.Store {
		s, err := o(t.Context(), location, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	if engine == "postgres" {
		url := pgtest.Database(t)
		return open(url, sqlstore.OpenPostgres), open(url, sqlstore.OpenPostgres)
	}
	path := filepath.Join(t.TempDir(), "openwaba.db")
	return open(path, sqlstore.OpenSQLite), open(path, sqlstore.OpenSQLite)
}

// TestChangesElsewhereTakeEffectAtOnce: a key revoked, a sender removed, a
// template and a price changed by another process are seen by the first
// request after the change, and between changes the cache answers from
// memory.
func TestChangesElsewhereTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			gw, other := twoProcesses(t, engine)
			ctx := t.Context()
			reads := cached.New(gw)
			a, err := other.CreateAccount(ctx, openwaba.Account{Name: "acme", CreatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			hash := sha256.Sum256([]byte("the-secret"))
			key, err := other.CreateAPIKey(ctx, openwaba.APIKey{AccountID: a.ID, Name: "k", Hash: hash[:], Scopes: []openwaba.Scope{openwaba.ScopeWABA}, CreatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			sender := openwaba.Sender{Number: "4915100000001", AccountID: a.ID, PhoneNumberID: "pn-1", WABAID: "waba-1", CreatedAt: t0}
			if err := other.PutSender(ctx, sender); err != nil {
				t.Fatal(err)
			}
			price := openwaba.Price{Currency: "EUR", Prefix: "49", Category: openwaba.CategoryMarketing, Amount: 100_000}
			if err := other.SetPrice(ctx, price); err != nil {
				t.Fatal(err)
			}

			request := func() {
				t.Helper()
				if err := reads.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
			}
			request()
			if k, err := reads.APIKeyByHash(ctx, hash[:]); err != nil || k.ID != key.ID || !k.Usable(t0) {
				t.Fatalf("key: %+v, %v", k, err)
			}
			if _, err := reads.Sender(ctx, a.ID, sender.Number); err != nil {
				t.Fatalf("sender: %v", err)
			}
			if ps, err := reads.Prices(ctx, "EUR"); err != nil || len(ps) != 1 || ps[0].Amount != 100_000 {
				t.Fatalf("prices: %+v, %v", ps, err)
			}

			// A balance moved elsewhere does not empty the cache: the
			// account's settings stay as read.
			if _, err := reads.Account(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := other.Credit(ctx, a.ID, 5_000_000, openwaba.ReasonTopUp); err != nil {
				t.Fatal(err)
			}
			request()
			if acct, _ := reads.Account(ctx, a.ID); acct.Balance != 0 {
				t.Errorf("account read again after a credit (balance %v): a debit would empty the cache on every request", acct.Balance)
			}

			if _, err := other.RevokeAPIKey(ctx, a.ID, key.ID, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := other.RemoveSender(ctx, sender.Number); err != nil {
				t.Fatal(err)
			}
			price.Amount = 200_000
			if err := other.SetPrice(ctx, price); err != nil {
				t.Fatal(err)
			}
			request()
			if k, err := reads.APIKeyByHash(ctx, hash[:]); err != nil || k.Usable(t0.Add(2*time.Minute)) {
				t.Errorf("revoked elsewhere, the key is still usable: %+v, %v", k, err)
			}
			if _, err := reads.Sender(ctx, a.ID, sender.Number); !errors.Is(err, openwaba.ErrNotFound) {
				t.Errorf("removed elsewhere, the sender is still found: %v", err)
			}
			if ps, err := reads.Prices(ctx, "EUR"); err != nil || len(ps) != 1 || ps[0].Amount != 200_000 {
				t.Errorf("price changed elsewhere, still %+v, %v", ps, err)
			}
		})
	}
}

// countingStore counts the store reads the cache makes.
type countingStore struct {
	openwaba.Store
	keyReads int
}

func (c *countingStore) APIKeyByHash(ctx context.Context, hash []byte) (openwaba.APIKey, error) {
	c.keyReads++
	return c.Store.APIKeyByHash(ctx, hash)
}

// TestServedFromMemory: between changes a key is read from the store once,
// a wrong key every time (it is not kept), and a last use recorded through
// the cache is seen in the cached key.
func TestServedFromMemory(t *testing.T) {
	t.Parallel()
	gw, _ := twoProcesses(t, "sqlite")
	ctx := t.Context()
	a, err := gw.CreateAccount(ctx, openwaba.Account{Name: "acme", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte("the-secret"))
	key, err := gw.CreateAPIKey(ctx, openwaba.APIKey{AccountID: a.ID, Name: "k", Hash: hash[:], Scopes: []openwaba.Scope{openwaba.ScopeWABA}, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingStore{Store: gw}
	reads := cached.New(counting)
	wrong := sha256.Sum256([]byte("wrong"))
	for range 5 {
		if err := reads.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := reads.APIKeyByHash(ctx, hash[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := reads.APIKeyByHash(ctx, wrong[:]); !errors.Is(err, openwaba.ErrNotFound) {
			t.Fatalf("wrong key: %v", err)
		}
	}
	if counting.keyReads != 1+5 {
		t.Errorf("%d key reads from the store; want 1 for the key and 5 for the wrong one", counting.keyReads)
	}
	used := t0.Add(time.Hour)
	if err := reads.TouchAPIKey(ctx, key.ID, used); err != nil {
		t.Fatal(err)
	}
	if k, _ := reads.APIKeyByHash(ctx, hash[:]); k.LastUsedAt == nil || !k.LastUsedAt.Equal(used) {
		t.Errorf("cached key's last use %v, want %v", k.LastUsedAt, used)
	}
}

// slowSender reads the sender, then waits for release before answering:
// a lookup that read a row just before another process changed it.
type slowSender struct {
	openwaba.Store
	read, release chan struct{}
}

func (s *slowSender) Sender(ctx context.Context, accountID int64, number string) (openwaba.Sender, error) {
	sd, err := s.Store.Sender(ctx, accountID, number)
	if s.read != nil {
		close(s.read)
		<-s.release
		s.read = nil
	}
	return sd, err
}

// TestOldReadIsNotKept: a row read before a change and answered after the
// Refresh that saw the change is not kept; the next lookup reads the new
// one.
func TestOldReadIsNotKept(t *testing.T) {
	t.Parallel()
	gw, other := twoProcesses(t, "sqlite")
	ctx := t.Context()
	a, err := other.CreateAccount(ctx, openwaba.Account{Name: "acme", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	sender := openwaba.Sender{Number: "4915100000001", AccountID: a.ID, PhoneNumberID: "pn-1", WABAID: "waba-1", MPS: 80, CreatedAt: t0}
	if err := other.PutSender(ctx, sender); err != nil {
		t.Fatal(err)
	}
	slow := &slowSender{Store: gw, read: make(chan struct{}), release: make(chan struct{})}
	reads := cached.New(slow)
	if err := reads.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan openwaba.Sender)
	go func() {
		sd, _ := reads.Sender(ctx, a.ID, sender.Number)
		done <- sd
	}()
	<-slow.read // the old row is read
	sender.MPS = 200
	if err := other.PutSender(ctx, sender); err != nil {
		t.Fatal(err)
	}
	if err := reads.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	close(slow.release)
	if old := <-done; old.MPS != 80 {
		t.Fatalf("the slow lookup answered MPS %d; the test wants it to have read the old row", old.MPS)
	}
	if sd, err := reads.Sender(ctx, a.ID, sender.Number); err != nil || sd.MPS != 200 {
		t.Errorf("after the change: MPS %d, %v; want 200 (the old row was kept)", sd.MPS, err)
	}
}

// slowGeneration holds its hold-th generation read, after reading, until
// release is closed, and counts the reads.
type slowGeneration struct {
	openwaba.Store
	hold          int32
	read, release chan struct{}
	reads         atomic.Int32
}

func (s *slowGeneration) Generation(ctx context.Context) (int64, error) {
	g, err := s.Store.Generation(ctx)
	if s.reads.Add(1) == s.hold {
		close(s.read)
		<-s.release
	}
	return g, err
}

// TestRefreshReadsAfterItBegan: requests share generation reads, but a
// Refresh never answers with a read that began before it: a key revoked
// elsewhere while another request's read is under way is refused by the
// requests that come after the revocation. The requests that arrive
// meanwhile share one read.
func TestRefreshReadsAfterItBegan(t *testing.T) {
	t.Parallel()
	gw, other := twoProcesses(t, "sqlite")
	ctx := t.Context()
	a, err := other.CreateAccount(ctx, openwaba.Account{Name: "acme", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte("the-secret"))
	key, err := other.CreateAPIKey(ctx, openwaba.APIKey{AccountID: a.ID, Name: "k", Hash: hash[:], Scopes: []openwaba.Scope{openwaba.ScopeWABA}, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowGeneration{Store: gw, hold: 2, read: make(chan struct{}), release: make(chan struct{})}
	reads := cached.New(slow)
	if err := reads.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if k, err := reads.APIKeyByHash(ctx, hash[:]); err != nil || !k.Usable(t0) {
		t.Fatalf("key before the revocation: %+v, %v", k, err)
	}
	first := make(chan error)
	go func() { first <- reads.Refresh(ctx) }()
	<-slow.read // this request read the generation before the revocation
	if _, err := other.RevokeAPIKey(ctx, a.ID, key.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	const later = 20
	var wg sync.WaitGroup
	var arrived atomic.Int32
	for range later {
		wg.Go(func() {
			arrived.Add(1)
			if err := reads.Refresh(ctx); err != nil {
				t.Error(err)
				return
			}
			if k, err := reads.APIKeyByHash(ctx, hash[:]); err != nil || k.Usable(t0.Add(2*time.Minute)) {
				t.Errorf("a request after the revocation found the key usable: %+v, %v", k, err)
			}
		})
	}
	for arrived.Load() < later {
		time.Sleep(time.Millisecond)
	}
	// The later requests wait for a read of their own, not the first one's.
	select {
	case <-first:
		t.Fatal("the first Refresh returned before its read was released")
	case <-time.After(50 * time.Millisecond):
	}
	close(slow.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if n := slow.reads.Load(); n != 3 {
		t.Errorf("%d generation reads for 2 + %d requests, want 3: those arriving during a read share the next", n, later)
	}
}

// suppressionReads counts the store's probes of whether an account
// suppresses anyone.
type suppressionReads struct {
	openwaba.Store
	probes atomic.Int32
}

func (s *suppressionReads) SuppressesAnyone(ctx context.Context, accountID int64) (bool, error) {
	s.probes.Add(1)
	return s.Store.SuppressesAnyone(ctx, accountID)
}

// TestSuppressedElsewhere: that an account suppresses nobody is kept
// between requests, and the first opt-out another process (or node) writes
// is seen by the next request; entries of an account that has some are
// always read.
func TestSuppressedElsewhere(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			gw, other := twoProcesses(t, engine)
			ctx := t.Context()
			a, err := other.CreateAccount(ctx, openwaba.Account{Name: "acme", CreatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			counting := &suppressionReads{Store: gw}
			reads := cached.New(counting)
			suppressed := func(user string) bool {
				t.Helper()
				if err := reads.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
				_, ok, err := reads.Suppressed(ctx, a.ID, "", user)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			if suppressed("4917600000001") || suppressed("4917600000002") {
				t.Fatal("suppressed before any opt-out")
			}
			if n := counting.probes.Load(); n != 1 {
				t.Errorf("%d probes for two requests without a change, want 1", n)
			}
			if _, err := other.ApplyConsent(ctx, a.ID, "", "4917600000001", openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI}, t0); err != nil {
				t.Fatal(err)
			}
			if !suppressed("4917600000001") {
				t.Error("opted out elsewhere, the user still gets marketing")
			}
			if suppressed("4917600000002") {
				t.Error("another user is suppressed")
			}
			if _, err := other.ApplyConsent(ctx, a.ID, "", "4917600000002", openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI}, t0); err != nil {
				t.Fatal(err)
			}
			if !suppressed("4917600000002") {
				t.Error("the account's second opt-out, elsewhere, is not seen")
			}
		})
	}
}
