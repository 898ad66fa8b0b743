package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// The administration commands work on the gateway's database (SQLite in
// the data dir, or PostgreSQL with --database-url); they may run while the
// gateway does, which sees each change at once.

func accountsCmd(a *app) *cobra.Command {
	return group("accounts", "create, list or show accounts; turn request signing on or off; set media retention and mode",
		accountsCreateCmd(a), accountsListCmd(a), accountsShowCmd(a), accountsSigningCmd(a), accountsMediaRetentionCmd(a), accountsMediaModeCmd(a))
}

func accountsCreateCmd(a *app) *cobra.Command {
	var currency, balance string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "create an account",
		Example: "  openwaba accounts create acme --currency EUR --balance 50",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimSpace(args[0])
			if name == "" {
				return fmt.Errorf("NAME must not be empty")
			}
			cur, err := parseCurrency(currency)
			if err != nil {
				return err
			}
			amount, err := openwaba.ParseMicros(balance)
			if err != nil {
				return fmt.Errorf("--balance: %w", err)
			}
			if amount < 0 {
				return fmt.Errorf("--balance: %q: a starting balance must not be negative", balance)
			}
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			acct, err := store.CreateAccount(cmd.Context(), openwaba.Account{Name: name, Currency: cur, Balance: amount})
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.AccountAnswer(acct))
			}
			fmt.Fprintf(a.stdout, "account %d %q created (%s %s)\n", acct.ID, acct.Name, acct.Balance, acct.Currency)
			return nil
		},
	}
	cmd.Flags().StringVar(&currency, "currency", "EUR", "currency the account pays in (ISO 4217)")
	cmd.Flags().StringVar(&balance, "balance", "0", "starting balance, booked as a top-up")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func accountsListCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list the accounts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			accounts, err := store.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.AccountsAnswer(accounts))
			}
			w := newTable(a.stdout)
			fmt.Fprintln(w, "ID\tNAME\tBALANCE\tCURRENCY\tSIGNING\tCREATED")
			for _, acct := range accounts {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", acct.ID, acct.Name, acct.Balance, acct.Currency, onOff(acct.SigningSecret != ""), acct.CreatedAt.UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

// accountShown is the JSON of accounts show: what the admin API answers
// for the account, its keys, its senders and its ledger, in one object.
type accountShown struct {
	Account any `json:"account"` // GET /api/admin/accounts/{id}
	Keys    any `json:"keys"`    // GET /api/admin/accounts/{id}/keys
	Senders any `json:"senders"` // GET /api/admin/accounts/{id}/senders
	Ledger  any `json:"ledger"`  // GET /api/admin/accounts/{id}/ledger
}

func accountsShowCmd(a *app) *cobra.Command {
	var account int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "show an account: balance, keys, senders, newest ledger entries",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			store, acct, err := a.account(ctx, account)
			if err != nil {
				return err
			}
			defer store.Close()
			keys, err := store.APIKeys(ctx, acct.ID)
			if err != nil {
				return err
			}
			senders, err := store.Senders(ctx, acct.ID)
			if err != nil {
				return err
			}
			ledger, err := store.Ledger(ctx, acct.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, accountShown{
					Account: api.AccountAnswer(acct), Keys: api.KeysAnswer(keys),
					Senders: api.SendersAnswer(senders, time.Now()), Ledger: api.LedgerAnswer(acct, ledger),
				})
			}
			fmt.Fprintf(a.stdout, "account %d %q\nbalance: %s %s\nsigning: %s\ncreated: %s\n", acct.ID, acct.Name, acct.Balance, acct.Currency, onOff(acct.SigningSecret != ""), acct.CreatedAt.UTC().Format(time.RFC3339))
			fmt.Fprintf(a.stdout, "keys: %d (openwaba keys list --account %d)\nsenders:", len(keys), acct.ID)
			for _, s := range senders {
				fmt.Fprintf(a.stdout, " %s", s.Number)
			}
			fmt.Fprintln(a.stdout)
			fmt.Fprintln(a.stdout, "ledger (newest 20):")
			w := newTable(a.stdout)
			fmt.Fprintln(w, "  TIME\tAMOUNT\tREASON\tMESSAGE")
			for i := len(ledger) - 1; i >= 0 && i >= len(ledger)-20; i-- {
				e := ledger[i]
				msg := ""
				if e.MessageID != 0 {
					msg = strconv.FormatInt(e.MessageID, 10)
				}
				fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", e.CreatedAt.UTC().Format(time.RFC3339), e.Amount, e.Reason, msg)
			}
			return w.Flush()
		},
	}
	accountFlag(cmd, &account, "the account to show")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func accountsSigningCmd(a *app) *cobra.Command {
	var account int64
	var off bool
	cmd := &cobra.Command{
		Use:   "signing",
		Short: "require signed requests of an account: prints its new signing secret once",
		Long: `Turn request signing on for the account and print its new signing secret,
once: from then on its requests must carry X-Timestamp, X-Nonce and
X-Signature as seven signs them. Run it again for a new secret; --off turns
signing off.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			secret := ""
			if !off {
				secret = api.NewSigningSecret()
			}
			if err := store.SetSigningSecret(cmd.Context(), acct.ID, secret); err != nil {
				return err
			}
			if off {
				fmt.Fprintf(a.stdout, "account %d no longer signs its requests\n", acct.ID)
				return nil
			}
			// Shown once; the account's clients sign with it from now on.
			fmt.Fprintln(a.stdout, secret)
			return nil
		},
	}
	accountFlag(cmd, &account, "the account")
	cmd.Flags().BoolVar(&off, "off", false, "turn request signing off")
	return cmd
}

func accountsMediaRetentionCmd(a *app) *cobra.Command {
	var account int64
	cmd := &cobra.Command{
		Use:     "media-retention DAYS",
		Short:   "how many days the account's new media files are kept; 0 for the gateway's --media-retention",
		Example: "  openwaba accounts media-retention --account 2 7",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			days, err := strconv.ParseInt(strings.TrimSpace(args[0]), 10, 64)
			if err != nil {
				return fmt.Errorf("DAYS: %q must be a whole number", args[0])
			}
			keep, err := openwaba.MediaRetentionDays(days)
			if err != nil {
				return fmt.Errorf("DAYS: %w", err)
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.SetMediaRetention(cmd.Context(), acct.ID, keep); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "account %d keeps its media files %d days (0: the gateway's default)\n", acct.ID, days)
			return nil
		},
	}
	accountFlag(cmd, &account, "the account")
	return cmd
}

func accountsMediaModeCmd(a *app) *cobra.Command {
	var account int64
	cmd := &cobra.Command{
		Use:     "media-mode link|upload|auto",
		Short:   "how the account's media given by url is sent: link, upload (fetched once at accept), auto (uploaded when WhatsApp cannot fetch the link)",
		Example: "  openwaba accounts media-mode --account 2 auto",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode, err := openwaba.ParseMediaMode(strings.TrimSpace(args[0]))
			if err != nil || strings.TrimSpace(args[0]) == "" {
				return fmt.Errorf("MODE: must be link, upload or auto, got %q", args[0])
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.SetMediaMode(cmd.Context(), acct.ID, mode); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "account %d sends media given by url in mode %s\n", acct.ID, mode)
			return nil
		},
	}
	accountFlag(cmd, &account, "the account")
	return cmd
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func parseCurrency(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 3 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", fmt.Errorf("currency %q: use a three-letter ISO 4217 code such as EUR", s)
	}
	return s, nil
}
