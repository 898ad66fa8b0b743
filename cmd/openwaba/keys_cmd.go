package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

func keysCmd(a *app) *cobra.Command {
	return group("keys", "create, list or revoke API keys", keysCreateCmd(a), keysListCmd(a), keysRevokeCmd(a))
}

func keysCreateCmd(a *app) *cobra.Command {
	var account int64
	var scopes, name, expires string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "create an API key: prints it once (the database keeps its hash)",
		Example: `  openwaba keys create --account 2 --scope waba --name shop --expires 2027-01-01
  openwaba keys create --scope admin --name operator`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := parseScopes(scopes)
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			exp, err := parseExpiry(expires, now)
			if err != nil {
				return err
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			key := api.NewKeySecret()
			k, err := store.CreateAPIKey(cmd.Context(), openwaba.APIKey{AccountID: acct.ID, Name: name, Hash: api.HashKey(key), Scopes: list, ExpiresAt: exp, CreatedAt: now})
			if err != nil {
				return err
			}
			// The key is shown once: the database keeps only its hash.
			if asJSON {
				return printAnswer(a.stdout, api.KeyAnswer(k, key))
			}
			fmt.Fprintln(a.stdout, key)
			return nil
		},
	}
	accountFlag(cmd, &account, "account the key belongs to")
	cmd.Flags().StringVar(&scopes, "scope", "waba", "comma-separated scopes: waba, analytics, journal, hooks, admin")
	cmd.Flags().StringVar(&name, "name", "", "a name to recognise the key by")
	cmd.Flags().StringVar(&expires, "expires", "", "when the key stops working: a duration from now (720h) or a date (2026-12-31)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what POST /api/admin/accounts/{id}/keys answers, the key included")
	return cmd
}

func keysListCmd(a *app) *cobra.Command {
	var account int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list an account's API keys: scopes, state, expiry, last use",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			keys, err := store.APIKeys(cmd.Context(), acct.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.KeysAnswer(keys))
			}
			now := time.Now()
			w := newTable(a.stdout)
			fmt.Fprintln(w, "ID\tNAME\tSCOPES\tSTATE\tCREATED\tEXPIRES\tLAST USED")
			for _, k := range keys {
				scopes := make([]string, len(k.Scopes))
				for i, s := range k.Scopes {
					scopes[i] = string(s)
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(scopes, ","), keyState(k, now),
					k.CreatedAt.UTC().Format(time.RFC3339), optTime(k.ExpiresAt), optTime(k.LastUsedAt))
			}
			return w.Flush()
		},
	}
	accountFlag(cmd, &account, "the account whose keys to list")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func keysRevokeCmd(a *app) *cobra.Command {
	var account int64
	cmd := &cobra.Command{
		Use:   "revoke KEY-ID",
		Short: "revoke an API key: it is refused (900) at once",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("KEY-ID %q is not a key id (see openwaba keys list)", args[0])
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			if _, err := store.RevokeAPIKey(cmd.Context(), acct.ID, id, time.Now().UTC()); err != nil {
				if errors.Is(err, openwaba.ErrNotFound) {
					return fmt.Errorf("account %d has no key %d (see openwaba keys list --account %d): %w", acct.ID, id, acct.ID, err)
				}
				return err
			}
			fmt.Fprintf(a.stdout, "key %d of account %d revoked\n", id, acct.ID)
			return nil
		},
	}
	accountFlag(cmd, &account, "the account the key belongs to")
	return cmd
}

func keyState(k openwaba.APIKey, now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case !k.Usable(now):
		return "expired"
	}
	return "active"
}

func optTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func parseScopes(s string) ([]openwaba.Scope, error) {
	var list []openwaba.Scope
	for _, part := range strings.Split(s, ",") {
		sc, ok := openwaba.ParseScope(strings.TrimSpace(part))
		if !ok {
			return nil, fmt.Errorf("unknown scope %q: use waba, analytics, journal, hooks or admin", strings.TrimSpace(part))
		}
		list = append(list, sc)
	}
	return list, nil
}

// parseExpiry reads --expires: a duration from now ("720h") or a date
// ("2026-12-31", the start of that day in UTC) or an RFC 3339 time.
func parseExpiry(s string, now time.Time) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		t := now.Add(d)
		return &t, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("--expires %q: use a duration (720h) or a date (2026-12-31)", s)
}
