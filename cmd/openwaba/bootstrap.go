package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// defaultKeyScopes are what the default account's key may do: everything
// a customer does (send, read analytics, manage webhooks), not admin.
var defaultKeyScopes = []openwaba.Scope{openwaba.ScopeWABA, openwaba.ScopeAnalytics, openwaba.ScopeJournal, openwaba.ScopeHooks}

// bootstrap makes a new installation usable: the default account, its API
// key, its time zone when configured and, in sandbox mode, its sender
// number and starting balance.
func bootstrap(ctx context.Context, store openwaba.Store, cfg config, stdout io.Writer, log *slog.Logger) error {
	accounts, err := store.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("listing accounts: %w", err)
	}
	var acct openwaba.Account
	created := len(accounts) == 0
	if created {
		acct, err = store.CreateAccount(ctx, openwaba.Account{Name: "default", Currency: "EUR"})
		if err != nil {
			return fmt.Errorf("creating default account: %w", err)
		}
		if cfg.sandbox() {
			if acct.Balance, err = store.Credit(ctx, acct.ID, sandboxBalance, openwaba.ReasonTopUp); err != nil {
				return fmt.Errorf("crediting sandbox balance: %w", err)
			}
		}
		log.Info("created the default account", "account", acct.ID)
	} else {
		acct = accounts[0]
	}
	if acct.Balance <= 0 {
		// In Meta mode nothing credits the default account: every send is
		// refused with seven's code 500 (HTTP 200) until it is topped up.
		log.Warn("the default account has no balance: sends are refused with code 500 until it is topped up (openwaba balance topup AMOUNT)",
			"account", acct.ID, "balance", acct.Balance.String())
	}

	if cfg.TimeZone != "" && cfg.TimeZone != acct.TimeZone {
		if err := store.SetAccountTimeZone(ctx, acct.ID, cfg.TimeZone); err != nil {
			return fmt.Errorf("setting the default account's time zone: %w", err)
		}
		log.Info("default account's time zone set", "account", acct.ID, "time_zone", cfg.TimeZone)
	}

	switch {
	case cfg.APIKey != "":
		if _, err := store.APIKeyByHash(ctx, api.HashKey(cfg.APIKey)); errors.Is(err, openwaba.ErrNotFound) {
			if _, err := store.CreateAPIKey(ctx, openwaba.APIKey{AccountID: acct.ID, Name: "OPENWABA_API_KEY", Hash: api.HashKey(cfg.APIKey), Scopes: defaultKeyScopes}); err != nil {
				return fmt.Errorf("storing OPENWABA_API_KEY: %w", err)
			}
		} else if err != nil {
			return fmt.Errorf("looking up OPENWABA_API_KEY: %w", err)
		}
	case created:
		key := "owk_" + rand.Text()
		if _, err := store.CreateAPIKey(ctx, openwaba.APIKey{AccountID: acct.ID, Name: "generated", Hash: api.HashKey(key), Scopes: defaultKeyScopes}); err != nil {
			return fmt.Errorf("storing generated API key: %w", err)
		}
		// Printed once, to stdout only: the database keeps just its hash.
		fmt.Fprintf(stdout, "\nAPI key of the default account (shown once, keep it):\n\n    %s\n\n", key)
	}

	if cfg.sandbox() {
		if _, err := store.Sender(ctx, acct.ID, sandboxNumber); errors.Is(err, openwaba.ErrNotFound) {
			if err := store.PutSender(ctx, openwaba.Sender{Number: sandboxNumber, AccountID: acct.ID, PhoneNumberID: sandboxPhoneNumberID, WABAID: sandboxWABAID}); err != nil {
				return fmt.Errorf("registering sandbox sender: %w", err)
			}
		} else if err != nil {
			return fmt.Errorf("looking up sandbox sender: %w", err)
		}
	}
	return nil
}
