package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/templates"
)

// A running gateway picks up the senders that openwaba senders add (or the
// admin API) registers, without a restart: its sandbox asks the store for
// numbers it does not know (numbersFromStore), and the templates of a new
// sender's WABA are synced within defaultSenderWatch (watchSenders).

// defaultSenderWatch is how often the gateway looks for new senders'
// WABAs when config.SenderWatchInterval is zero.
const defaultSenderWatch = 5 * time.Second

// numbersFromStore tells the sandbox the business numbers the gateway
// has: every account's senders.
func numbersFromStore(store openwaba.Store) func(ctx context.Context) ([]sandbox.Number, error) {
	return func(ctx context.Context) ([]sandbox.Number, error) {
		senders, err := store.Senders(ctx, 0)
		if err != nil {
			return nil, fmt.Errorf("listing senders: %w", err)
		}
		out := make([]sandbox.Number, 0, len(senders))
		for _, s := range senders {
			out = append(out, sandbox.Number{PhoneNumberID: s.PhoneNumberID, WABAID: s.WABAID, Display: s.Number})
		}
		return out, nil
	}
}

// senderWABAs is the set of (account, WABA) the senders belong to: what
// template sync fetches.
func senderWABAs(ctx context.Context, store openwaba.Store) (map[string]bool, error) {
	senders, err := store.Senders(ctx, 0)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(senders))
	for _, s := range senders {
		set[fmt.Sprintf("%d/%s", s.AccountID, s.WABAID)] = true
	}
	return set, nil
}

// watchSenders syncs the templates whenever the senders' WABAs changed
// since it last looked, every interval until ctx ends: a new account's
// or WABA's number gets its templates within seconds. The sync at start
// covers the senders there are then.
func watchSenders(ctx context.Context, store openwaba.Store, syncer *templates.Syncer, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = defaultSenderWatch
	}
	last, err := senderWABAs(ctx, store)
	if err != nil {
		log.Warn("watching senders", "err", err)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := senderWABAs(ctx, store)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("watching senders", "err", err)
			}
			continue
		}
		if maps.Equal(now, last) {
			continue
		}
		log.Info("senders changed: syncing templates")
		syncer.SyncAndLog(ctx)
		last = now
	}
}
