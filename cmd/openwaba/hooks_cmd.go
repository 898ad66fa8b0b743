package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/openwaba/openwaba/internal/api"
)

const hooksUsage = "usage: openwaba hooks list [--account N] | dead [--account N] | replay ID [--account N]"

// hooksCommand shows customer webhooks and their dead letters, and
// replays dead deliveries, on the gateway's database. A running gateway picks a
// replayed delivery up within a second.
func hooksCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(hooksUsage)
	}
	fs, where := adminFlags("hooks "+args[0], getenv, stderr)
	account := fs.Int64("account", 0, "account (0: every account, for dead and replay)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	store, err := openStore(ctx, where)
	if err != nil {
		return err
	}
	defer store.Close()

	switch args[0] {
	case "list":
		acct := *account
		if acct == 0 {
			acct = 1
		}
		hooks, err := store.Hooks(ctx, acct)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tEVENT\tMETHOD\tFILTER\tTARGET")
		for _, h := range hooks {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", h.ID, h.EventType, h.RequestMethod, h.EventFilter, h.TargetURL)
		}
		return w.Flush()
	case "dead":
		ds, err := store.DeadDeliveries(ctx, *account)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tHOOK\tEVENT\tMSG\tATTEMPTS\tCREATED\tLAST ERROR")
		for _, d := range api.DeliveryViews(ds) {
			msg := "-"
			if d.MessageID != nil {
				msg = strconv.FormatInt(*d.MessageID, 10)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.HookID, d.Event, msg, d.Attempts, d.Created, d.LastError)
		}
		return w.Flush()
	case "replay":
		if len(pos) != 1 {
			return errors.New(hooksUsage)
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("ID %q: not a delivery id", pos[0])
		}
		if err := store.ReplayDelivery(ctx, *account, id, time.Now()); err != nil {
			return fmt.Errorf("replay delivery %d: %w (see openwaba hooks dead)", id, err)
		}
		fmt.Fprintf(stdout, "delivery %d will be sent again\n", id)
		return nil
	}
	return fmt.Errorf("unknown hooks command %q: %s", args[0], hooksUsage)
}
