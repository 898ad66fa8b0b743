package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/phone"
)

// The administration commands work on the gateway's database (SQLite in
// the data dir, or PostgreSQL with --database-url), like senders; they may
// run while the gateway does.

func accountsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: openwaba accounts create NAME [--currency EUR] [--balance AMOUNT] | list | show ID | signing ID [--off]"
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs, where := adminFlags("accounts "+args[0], getenv, stderr)
	currency := fs.String("currency", "EUR", "currency the account pays in (ISO 4217)")
	balance := fs.String("balance", "0", "starting balance, booked as a top-up")
	off := fs.Bool("off", false, "signing: turn request signing off")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "create", "list", "show", "signing":
	default:
		return fmt.Errorf("unknown accounts command %q: %s", args[0], usage)
	}
	store, err := openStore(ctx, where)
	if err != nil {
		return err
	}
	defer store.Close()

	switch args[0] {
	case "create":
		if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
			return errors.New(usage)
		}
		cur, err := parseCurrency(*currency)
		if err != nil {
			return err
		}
		amount, err := openwaba.ParseMicros(*balance)
		if err != nil {
			return fmt.Errorf("--balance: %w", err)
		}
		if amount < 0 {
			return fmt.Errorf("--balance: %q: a starting balance must not be negative", *balance)
		}
		a, err := store.CreateAccount(ctx, openwaba.Account{Name: pos[0], Currency: cur, Balance: amount})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %d %q created (%s %s)\n", a.ID, a.Name, a.Balance, a.Currency)
		return nil
	case "list":
		accounts, err := store.Accounts(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tBALANCE\tCURRENCY\tSIGNING\tCREATED")
		for _, a := range accounts {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name, a.Balance, a.Currency, onOff(a.SigningSecret != ""), a.CreatedAt.Format(time.RFC3339))
		}
		return w.Flush()
	case "show":
		id, err := accountArg(pos, usage)
		if err != nil {
			return err
		}
		a, err := store.Account(ctx, id)
		if err != nil {
			return fmt.Errorf("account %d: %w", id, err)
		}
		keys, err := store.APIKeys(ctx, id)
		if err != nil {
			return err
		}
		senders, err := store.Senders(ctx, id)
		if err != nil {
			return err
		}
		ledger, err := store.Ledger(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %d %q\nbalance: %s %s\nsigning: %s\ncreated: %s\n", a.ID, a.Name, a.Balance, a.Currency, onOff(a.SigningSecret != ""), a.CreatedAt.Format(time.RFC3339))
		fmt.Fprintf(stdout, "keys: %d (openwaba keys list --account %d)\nsenders:", len(keys), a.ID)
		for _, s := range senders {
			fmt.Fprintf(stdout, " %s", s.Number)
		}
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "ledger (newest 20):")
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "  TIME\tAMOUNT\tREASON\tMESSAGE")
		for i := len(ledger) - 1; i >= 0 && i >= len(ledger)-20; i-- {
			e := ledger[i]
			msg := ""
			if e.MessageID != 0 {
				msg = strconv.FormatInt(e.MessageID, 10)
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", e.CreatedAt.Format(time.RFC3339), e.Amount, e.Reason, msg)
		}
		return w.Flush()
	case "signing":
		id, err := accountArg(pos, usage)
		if err != nil {
			return err
		}
		secret := ""
		if !*off {
			secret = api.NewSigningSecret()
		}
		if err := store.SetSigningSecret(ctx, id, secret); err != nil {
			return err
		}
		if *off {
			fmt.Fprintf(stdout, "account %d no longer signs its requests\n", id)
			return nil
		}
		// Shown once; the account's clients sign with it from now on.
		fmt.Fprintln(stdout, secret)
		return nil
	}
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// accountArg reads the one positional argument, an account id.
func accountArg(pos []string, usage string) (int64, error) {
	if len(pos) != 1 {
		return 0, errors.New(usage)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not an account id", pos[0])
	}
	return id, nil
}

func parseCurrency(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 3 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", fmt.Errorf("currency %q: use a three-letter ISO 4217 code such as EUR", s)
	}
	return s, nil
}

func parseScopes(s string) ([]openwaba.Scope, error) {
	var list []openwaba.Scope
	for _, part := range strings.Split(s, ",") {
		sc, ok := openwaba.ParseScope(strings.TrimSpace(part))
		if !ok {
			return nil, fmt.Errorf("unknown scope %q: use waba, analytics, hooks or admin", strings.TrimSpace(part))
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

func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: openwaba keys create [--account N] [--scope waba,...] [--name NAME] [--expires 720h|2026-12-31] | list [--account N] | revoke ID [--account N]"
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs, where := adminFlags("keys "+args[0], getenv, stderr)
	account := fs.Int64("account", 1, "account the key belongs to")
	scopes := fs.String("scope", "waba", "comma-separated scopes: waba, analytics, hooks, admin")
	name := fs.String("name", "", "a name to recognise the key by")
	expires := fs.String("expires", "", "when the key stops working: a duration from now (720h) or a date (2026-12-31)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var list []openwaba.Scope
	var exp *time.Time
	switch args[0] {
	case "create":
		if list, err = parseScopes(*scopes); err != nil {
			return err
		}
		if exp, err = parseExpiry(*expires, now); err != nil {
			return err
		}
	case "list", "revoke":
	default:
		return fmt.Errorf("unknown keys command %q: %s", args[0], usage)
	}
	store, err := openStore(ctx, where)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Account(ctx, *account); err != nil {
		return fmt.Errorf("account %d: %w", *account, err)
	}

	switch args[0] {
	case "create":
		key := api.NewKeySecret()
		if _, err := store.CreateAPIKey(ctx, openwaba.APIKey{AccountID: *account, Name: *name, Hash: api.HashKey(key), Scopes: list, ExpiresAt: exp}); err != nil {
			return err
		}
		// The key is shown once: the database keeps only its hash.
		fmt.Fprintln(stdout, key)
		return nil
	case "list":
		keys, err := store.APIKeys(ctx, *account)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tSCOPES\tSTATE\tCREATED\tEXPIRES\tLAST USED")
		for _, k := range keys {
			scopes := make([]string, len(k.Scopes))
			for i, s := range k.Scopes {
				scopes[i] = string(s)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(scopes, ","), keyState(k, now),
				k.CreatedAt.Format(time.RFC3339), optTime(k.ExpiresAt), optTime(k.LastUsedAt))
		}
		return w.Flush()
	case "revoke":
		if len(pos) != 1 {
			return errors.New(usage)
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a key id (see openwaba keys list)", pos[0])
		}
		if _, err := store.RevokeAPIKey(ctx, *account, id, now); err != nil {
			if errors.Is(err, openwaba.ErrNotFound) {
				return fmt.Errorf("account %d has no key %d", *account, id)
			}
			return err
		}
		fmt.Fprintf(stdout, "key %d of account %d revoked\n", id, *account)
		return nil
	}
	return nil
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

func balanceCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: openwaba balance topup --account N AMOUNT [--reason R] | show --account N"
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs, where := adminFlags("balance "+args[0], getenv, stderr)
	account := fs.Int64("account", 0, "the account")
	reason := fs.String("reason", openwaba.ReasonTopUp, "reason booked in the ledger")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if *account <= 0 {
		return errors.New("--account is required: " + usage)
	}
	var amount openwaba.Micros
	switch args[0] {
	case "topup":
		if len(pos) != 1 {
			return errors.New(usage)
		}
		// A negative amount is a correction; it is booked the same way.
		if amount, err = openwaba.ParseMicros(pos[0]); err != nil {
			return fmt.Errorf("AMOUNT: %w", err)
		}
		if amount == 0 {
			return fmt.Errorf("AMOUNT: %q: a top-up must not be zero", pos[0])
		}
	case "show":
	default:
		return fmt.Errorf("unknown balance command %q: %s", args[0], usage)
	}
	store, err := openStore(ctx, where)
	if err != nil {
		return err
	}
	defer store.Close()
	a, err := store.Account(ctx, *account)
	if err != nil {
		return fmt.Errorf("account %d: %w", *account, err)
	}
	if args[0] == "topup" {
		if a.Balance, err = store.Credit(ctx, a.ID, amount, *reason); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "account %d balance: %s %s\n", a.ID, a.Balance, a.Currency)
	return nil
}

func pricesCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: openwaba prices set --category C [--prefix 49] [--currency EUR] AMOUNT | delete --category C [--prefix 49] [--currency EUR] | list [--currency EUR]"
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs, where := adminFlags("prices "+args[0], getenv, stderr)
	currency := fs.String("currency", "EUR", "currency of the price (accounts pay in theirs)")
	prefix := fs.String("prefix", "", "calling-code prefix of the recipients (49, 1, 1242); empty for the default row")
	category := fs.String("category", "", "marketing, utility, authentication or service")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	cur := ""
	if args[0] != "list" || *currency != "" {
		if cur, err = parseCurrency(*currency); err != nil {
			return err
		}
	}
	var amount openwaba.Micros
	cat := openwaba.PriceCategory(*category)
	switch args[0] {
	case "set", "delete":
		switch cat {
		case openwaba.CategoryMarketing, openwaba.CategoryUtility, openwaba.CategoryAuthentication, openwaba.CategoryService:
		default:
			return fmt.Errorf("--category %q: use marketing, utility, authentication or service", *category)
		}
		*prefix = strings.TrimPrefix(strings.TrimSpace(*prefix), "+")
		if !phone.ValidPrefix(*prefix) {
			return fmt.Errorf("--prefix %q: must start with a country calling code (49, 1, 1242)", *prefix)
		}
		if args[0] == "set" {
			if len(pos) != 1 {
				return errors.New(usage)
			}
			if amount, err = openwaba.ParseMicros(pos[0]); err != nil {
				return fmt.Errorf("AMOUNT: %w", err)
			}
			if amount < 0 {
				return fmt.Errorf("AMOUNT: %q: a price must not be negative", pos[0])
			}
		}
	case "list":
	default:
		return fmt.Errorf("unknown prices command %q: %s", args[0], usage)
	}
	store, err := openStore(ctx, where)
	if err != nil {
		return err
	}
	defer store.Close()
	switch args[0] {
	case "set":
		if err := store.SetPrice(ctx, openwaba.Price{Currency: cur, Prefix: *prefix, Category: cat, Amount: amount}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s to %s: %s %s\n", cat, "messages", prefixName(*prefix), amount, cur)
		return nil
	case "delete":
		if err := store.DeletePrice(ctx, cur, *prefix, cat); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "price of %s messages to %s in %s deleted\n", cat, prefixName(*prefix), cur)
		return nil
	}
	prices, err := store.Prices(ctx, cur)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CURRENCY\tPREFIX\tCATEGORY\tAMOUNT\tUPDATED")
	for _, p := range prices {
		pfx := p.Prefix
		if pfx == "" {
			pfx = "default"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.Currency, pfx, p.Category, p.Amount, p.UpdatedAt.Format(time.RFC3339))
	}
	return w.Flush()
}

func prefixName(p string) string {
	if p == "" {
		return "every country without a row of its own"
	}
	return "+" + p
}
