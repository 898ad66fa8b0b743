// Package cached serves the lookups every API request makes — its key, its
// account's settings, the sender, the template, the price table and the
// free rules — from memory, so that an accepted message costs one small
// read (the store's generation) instead of six.
//
// What it keeps is correct, not only fresh enough: every write of those
// rows moves the store's generation in its own transaction
// (openwaba.Store.Generation), whichever process or node made it, and
// Refresh, called first by every request, forgets everything once the
// generation moved. A key revoked by `openwaba keys revoke` in another
// process, or on another node, is refused by the next request.
package cached

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/openwaba/openwaba"
)

// Reads is the cache. Its methods are the store's of the same names; what
// they return is what the store held at the generation of the last
// Refresh, or later.
type Reads struct {
	store openwaba.Store

	mu sync.Mutex
	// generation is the store's generation the entries belong to; seen is
	// false before the first Refresh.
	generation int64
	seen       bool
	// epoch counts the times the entries were forgotten. A lookup that
	// missed notes it before reading the store and keeps what it read
	// only if no Refresh forgot the entries meanwhile: a row read before
	// a change must not outlive the change.
	epoch     uint64
	keys      map[[sha256.Size]byte]openwaba.APIKey
	accounts  map[int64]openwaba.Account
	senders   map[senderKey]openwaba.Sender
	templates map[templateKey]openwaba.Template
	prices    map[string][]openwaba.Price
	free      []openwaba.FreeRule
	haveFree  bool
	// suppressing is whether an account has suppression entries: most
	// have none, and then a marketing recipient needs no read.
	suppressing map[int64]bool

	// Generation reads are shared (see readGeneration): reading is the one
	// under way, next the one that begins after it, which the requests
	// arriving meanwhile wait for. Both nil when none is.
	flights       sync.Mutex
	reading, next *flight
}

// flight is one read of the store's generation and the requests waiting
// for it.
type flight struct {
	ctx  context.Context // the first waiter's, without its cancellation
	done chan struct{}   // closed when g and err are set
	g    int64
	err  error
}

type senderKey struct {
	account int64
	number  string
}

type templateKey struct {
	account        int64
	name, language string
}

// New returns an empty cache over s.
func New(s openwaba.Store) *Reads {
	r := &Reads{store: s}
	r.forget()
	return r
}

// forget drops every entry; mu is held.
func (r *Reads) forget() {
	r.epoch++
	r.keys = map[[sha256.Size]byte]openwaba.APIKey{}
	r.accounts = map[int64]openwaba.Account{}
	r.senders = map[senderKey]openwaba.Sender{}
	r.templates = map[templateKey]openwaba.Template{}
	r.prices = map[string][]openwaba.Price{}
	r.free, r.haveFree = nil, false
	r.suppressing = map[int64]bool{}
}

// Refresh reads the store's generation and forgets everything when it
// moved since the last Refresh. A request calls it once, before its first
// lookup.
func (r *Reads) Refresh(ctx context.Context) error {
	g, err := r.readGeneration(ctx)
	if err != nil {
		return fmt.Errorf("refreshing the cache: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.seen || g != r.generation {
		r.forget()
		r.generation, r.seen = g, true
	}
	return nil
}

// readGeneration reads the store's generation in a read that began after the
// call did, and so sees every write committed before it: what Refresh
// promises. The requests that arrive while a read is under way share the
// one that follows it, so that under load the gateway reads the
// generation once per round, not once per request (it was a tenth of an
// accept's CPU on SQLite, where every read is a transaction of its own).
func (r *Reads) readGeneration(ctx context.Context) (int64, error) {
	r.flights.Lock()
	f := r.next
	if f == nil {
		f = &flight{ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
		if r.reading == nil {
			r.reading = f
			go r.fly(f)
		} else {
			r.next = f
		}
	}
	r.flights.Unlock()
	select {
	case <-f.done:
		return f.g, f.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// fly runs f and then, one after the other, the reads that were asked for
// while the one before ran.
func (r *Reads) fly(f *flight) {
	for f != nil {
		f.g, f.err = r.store.Generation(f.ctx)
		close(f.done)
		r.flights.Lock()
		f, r.reading, r.next = r.next, r.next, nil
		r.flights.Unlock()
	}
}

// lookup returns the entry of key in the map m picks, or reads it with
// load and keeps it: found rows only (a wrong key or an unknown template
// must not fill memory).
func lookup[K comparable, V any](r *Reads, m func() map[K]V, key K, load func() (V, error)) (V, error) {
	r.mu.Lock()
	v, ok := m()[key]
	epoch := r.epoch
	r.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	r.mu.Lock()
	if r.epoch == epoch {
		m()[key] = v
	}
	r.mu.Unlock()
	return v, nil
}

// Suppressed is the store's, without reading it when the account
// suppresses nobody. That is kept until the generation moves, which the
// account's first entry does (openwaba.ConsentStore.SuppressesAnyone);
// entries of an account that has some are always read.
func (r *Reads) Suppressed(ctx context.Context, accountID int64, sender, user string) (openwaba.Suppression, bool, error) {
	any, err := lookup(r, func() map[int64]bool { return r.suppressing }, accountID, func() (bool, error) {
		return r.store.SuppressesAnyone(ctx, accountID)
	})
	if err != nil || !any {
		return openwaba.Suppression{}, false, err
	}
	return r.store.Suppressed(ctx, accountID, sender, user)
}

// APIKeyByHash is the store's: the key whose secret hashes to hash.
func (r *Reads) APIKeyByHash(ctx context.Context, hash []byte) (openwaba.APIKey, error) {
	if len(hash) != sha256.Size {
		return r.store.APIKeyByHash(ctx, hash)
	}
	return lookup(r, func() map[[sha256.Size]byte]openwaba.APIKey { return r.keys }, [sha256.Size]byte(hash), func() (openwaba.APIKey, error) {
		return r.store.APIKeyByHash(ctx, hash)
	})
}

// TouchAPIKey is the store's, and keeps the new last-used time in the
// cached key too: a last use does not move the generation, and a key
// whose time stayed old would be touched on every request.
func (r *Reads) TouchAPIKey(ctx context.Context, keyID int64, at time.Time) error {
	if err := r.store.TouchAPIKey(ctx, keyID, at); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for h, k := range r.keys {
		if k.ID == keyID && (k.LastUsedAt == nil || k.LastUsedAt.Before(at)) {
			k.LastUsedAt = &at
			r.keys[h] = k
		}
	}
	return nil
}

// Account is the store's, but for the balance: a debit does not move the
// generation, so Balance is the one the account had when it was read.
// Read the store for the balance.
func (r *Reads) Account(ctx context.Context, id int64) (openwaba.Account, error) {
	return lookup(r, func() map[int64]openwaba.Account { return r.accounts }, id, func() (openwaba.Account, error) {
		return r.store.Account(ctx, id)
	})
}

// Sender is the store's.
func (r *Reads) Sender(ctx context.Context, accountID int64, number string) (openwaba.Sender, error) {
	return lookup(r, func() map[senderKey]openwaba.Sender { return r.senders }, senderKey{accountID, number}, func() (openwaba.Sender, error) {
		return r.store.Sender(ctx, accountID, number)
	})
}

// Template is the store's.
func (r *Reads) Template(ctx context.Context, accountID int64, name, language string) (openwaba.Template, error) {
	return lookup(r, func() map[templateKey]openwaba.Template { return r.templates }, templateKey{accountID, name, language}, func() (openwaba.Template, error) {
		return r.store.Template(ctx, accountID, name, language)
	})
}

// Prices is the store's. The rows are shared: callers must not change them.
func (r *Reads) Prices(ctx context.Context, currency string) ([]openwaba.Price, error) {
	return lookup(r, func() map[string][]openwaba.Price { return r.prices }, currency, func() ([]openwaba.Price, error) {
		return r.store.Prices(ctx, currency)
	})
}

// FreeRules is the store's. The rules are shared: callers must not change
// them.
func (r *Reads) FreeRules(ctx context.Context) ([]openwaba.FreeRule, error) {
	r.mu.Lock()
	free, ok, epoch := r.free, r.haveFree, r.epoch
	r.mu.Unlock()
	if ok {
		return free, nil
	}
	free, err := r.store.FreeRules(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.epoch == epoch {
		r.free, r.haveFree = free, true
	}
	r.mu.Unlock()
	return free, nil
}
