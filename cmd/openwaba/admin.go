package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
)

// adminFlags are the flags every command that works on the gateway's
// database has: the same --data-dir and --database-url as serve.
func adminFlags(name string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *storeConfig) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := getenv("OPENWABA_DATA_DIR")
	if def == "" {
		def = "./data"
	}
	var c storeConfig
	fs.StringVar(&c.DataDir, "data-dir", def, "directory of the SQLite database (OPENWABA_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", getenv("OPENWABA_DATABASE_URL"), "PostgreSQL URL; when set, used instead of the data dir (OPENWABA_DATABASE_URL)")
	return fs, &c
}

// openStore opens the gateway's database for an admin command. It works
// while the gateway runs: SQLite's WAL lets both write, one at a time, and
// PostgreSQL takes any number of clients.
func openStore(ctx context.Context, c *storeConfig) (openwaba.Store, error) {
	return openConfiguredStore(ctx, *c, true, slog.New(slog.DiscardHandler))
}

// parseInterleaved parses flags that may come after positional arguments
// ("senders add 4915... --waba-id 1"), which the flag package alone stops at.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func sendersCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: openwaba senders add|list|remove [--account N]")
	}
	fs, where := adminFlags("senders "+args[0], getenv, stderr)
	account := fs.Int64("account", 1, "account the number belongs to")
	phoneID := fs.String("phone-number-id", "", "Meta's phone number id of the number")
	wabaID := fs.String("waba-id", "", "id of the WhatsApp Business Account the number is in")
	mps := fs.Int("mps", 0, "throughput in messages per second (0: the default of 80; Meta allows up to 1000 for upgraded numbers)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	accountGiven := false
	fs.Visit(func(f *flag.Flag) { accountGiven = accountGiven || f.Name == "account" })
	store, err := openStore(ctx, where)
	if err != nil {
		return err
	}
	defer store.Close()

	switch args[0] {
	case "add":
		if len(pos) != 1 || *phoneID == "" || *wabaID == "" {
			return errors.New("usage: openwaba senders add NUMBER --phone-number-id ID --waba-id ID [--account N] [--mps N]")
		}
		number, err := phone.Normalize(pos[0])
		if err != nil {
			return fmt.Errorf("NUMBER: %w", err)
		}
		if _, err := store.Account(ctx, *account); err != nil {
			return fmt.Errorf("account %d: %w", *account, err)
		}
		if *mps < 0 || *mps > 1000 {
			return errors.New("--mps must be between 0 and 1000")
		}
		if err := store.PutSender(ctx, openwaba.Sender{Number: number, AccountID: *account, PhoneNumberID: *phoneID, WABAID: *wabaID, MPS: *mps}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sender %s added to account %d (phone number id %s, WABA %s)\n", number, *account, *phoneID, *wabaID)
		return nil
	case "list":
		// All accounts' numbers, or one account's with --account.
		filter := int64(0)
		if accountGiven {
			filter = *account
		}
		senders, err := store.Senders(ctx, filter)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NUMBER\tACCOUNT\tPHONE NUMBER ID\tWABA ID\tMPS\tQUALITY\tLIMIT\tMARKETING")
		now := time.Now()
		for _, s := range senders {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Number, s.AccountID, s.PhoneNumberID, s.WABAID, s.MPS,
				orDash(s.Health.Quality), orDash(s.Health.MessagingLimit), s.Health.Marketing(now))
		}
		return w.Flush()
	case "remove":
		if len(pos) != 1 {
			return errors.New("usage: openwaba senders remove NUMBER [--account N]")
		}
		number, err := phone.Normalize(pos[0])
		if err != nil {
			return fmt.Errorf("NUMBER: %w", err)
		}
		if accountGiven {
			if _, err := store.Sender(ctx, *account, number); err != nil {
				return fmt.Errorf("account %d has no sender %s: %w", *account, number, err)
			}
		}
		if err := store.RemoveSender(ctx, number); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sender %s removed\n", number)
		return nil
	}
	return fmt.Errorf("unknown senders command %q: use add, list or remove", args[0])
}

// orDash is s, or "-" for nothing reported.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
