package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// The hooks commands show customer webhooks and their dead letters, and
// replay dead deliveries, on the gateway's database. A running gateway
// picks a replayed delivery up within a second.

func hooksCmd(a *app) *cobra.Command {
	return group("hooks", "list webhooks and their dead letters, replay them", hooksListCmd(a), hooksDeadCmd(a), hooksReplayCmd(a))
}

func hooksListCmd(a *app) *cobra.Command {
	var account int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list an account's webhooks",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			hooks, err := store.Hooks(cmd.Context(), acct.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.HooksAnswer(hooks))
			}
			w := newTable(a.stdout)
			fmt.Fprintln(w, "ID\tEVENT\tMETHOD\tFILTER\tTARGET")
			for _, h := range hooks {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", h.ID, h.EventType, h.RequestMethod, h.EventFilter, h.TargetURL)
			}
			return w.Flush()
		},
	}
	accountFlag(cmd, &account, "the account whose webhooks to list")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what GET /api/hooks answers the account's keys")
	return cmd
}

func hooksDeadCmd(a *app) *cobra.Command {
	var account int64
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "dead",
		Short: "list the webhook deliveries given up on (dead letters)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, filter, err := a.accountOrAll(cmd, account, all)
			if err != nil {
				return err
			}
			defer store.Close()
			ds, err := store.DeadDeliveries(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.DeadAnswer(ds))
			}
			w := newTable(a.stdout)
			fmt.Fprintln(w, "ID\tHOOK\tEVENT\tMSG\tATTEMPTS\tCREATED\tLAST ERROR")
			for _, d := range api.DeliveryViews(ds) {
				msg := "-"
				if d.MessageID != nil {
					msg = strconv.FormatInt(*d.MessageID, 10)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.HookID, d.Event, msg, d.Attempts, d.Created, d.LastError)
			}
			return w.Flush()
		},
	}
	accountFlag(cmd, &account, "the account whose dead letters to list")
	allAccountsFlag(cmd, &all)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what GET /api/hooks/dead answers")
	return cmd
}

func hooksReplayCmd(a *app) *cobra.Command {
	var account int64
	var all bool
	cmd := &cobra.Command{
		Use:   "replay DELIVERY-ID",
		Short: "send a dead delivery again (see openwaba hooks dead)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("DELIVERY-ID %q: not a delivery id (see openwaba hooks dead)", args[0])
			}
			store, filter, err := a.accountOrAll(cmd, account, all)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.ReplayDelivery(cmd.Context(), filter, id, time.Now()); err != nil {
				return fmt.Errorf("replay delivery %d: %w (see openwaba hooks dead)", id, err)
			}
			fmt.Fprintf(a.stdout, "delivery %d will be sent again\n", id)
			return nil
		},
	}
	accountFlag(cmd, &account, "the account the delivery belongs to")
	allAccountsFlag(cmd, &all)
	return cmd
}

// accountOrAll opens the store for --account (checked) or, with
// --all-accounts, for every account (0, as the store takes it).
func (a *app) accountOrAll(cmd *cobra.Command, account int64, all bool) (openwaba.Store, int64, error) {
	if all {
		store, err := a.openStore(cmd.Context())
		return store, 0, err
	}
	store, acct, err := a.account(cmd.Context(), account)
	return store, acct.ID, err
}
