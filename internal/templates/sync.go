package templates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/openwaba/openwaba"
)

// Source lists the templates of a WhatsApp Business Account, following
// Meta's paging to the end (the Meta adapter is one).
type Source interface {
	Templates(ctx context.Context, wabaID string) ([]openwaba.Template, error)
}

// Syncer keeps each account's stored templates in step with WhatsApp. The
// templates of an account are those of the WABAs its senders belong to.
type Syncer struct {
	Store  openwaba.Store
	Source Source
	Logger *slog.Logger
}

// Sync fetches the templates of every account that has senders and
// replaces the stored ones, and returns how many each account now has. An
// account whose fetch failed keeps the templates it had: a half-fetched
// list would make approved templates look deleted. The error joins every
// failure.
func (s *Syncer) Sync(ctx context.Context) (map[int64]int, error) {
	senders, err := s.Store.Senders(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("template sync: listing senders: %w", err)
	}
	type waba struct {
		account int64
		id      string
	}
	seen := map[waba]bool{}
	fetched := map[int64][]openwaba.Template{}
	failed := map[int64]bool{}
	var errs []error
	for _, sd := range senders {
		w := waba{sd.AccountID, sd.WABAID}
		if sd.WABAID == "" || seen[w] {
			continue
		}
		seen[w] = true
		ts, err := s.Source.Templates(ctx, sd.WABAID)
		if err != nil {
			failed[sd.AccountID] = true
			errs = append(errs, fmt.Errorf("account %d, WABA %s: %w", sd.AccountID, sd.WABAID, err))
			continue
		}
		fetched[sd.AccountID] = append(fetched[sd.AccountID], ts...)
	}
	counts := map[int64]int{}
	for account, ts := range fetched {
		if failed[account] {
			continue
		}
		for i := range ts {
			ts[i].AccountID = account
		}
		if err := s.Store.ReplaceTemplates(ctx, account, ts); err != nil {
			errs = append(errs, fmt.Errorf("account %d: storing templates: %w", account, err))
			continue
		}
		counts[account] = len(ts)
	}
	return counts, errors.Join(errs...)
}

// SyncAndLog syncs and logs the outcome: a failure is a warning, since
// the gateway keeps sending with the templates it has.
func (s *Syncer) SyncAndLog(ctx context.Context) {
	counts, err := s.Sync(ctx)
	if err != nil && ctx.Err() == nil {
		s.log().Warn("template sync failed; the accounts concerned keep their stored templates", "err", err)
	}
	for account, n := range counts {
		s.log().Info("templates synced", "account", account, "count", n)
	}
}

// Run syncs every interval until ctx ends.
func (s *Syncer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.SyncAndLog(ctx)
		}
	}
}

func (s *Syncer) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
