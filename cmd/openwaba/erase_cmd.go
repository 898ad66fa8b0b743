package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba/internal/api"
)

// eraseCmd erases a user (a GDPR erasure request), as DELETE
// /api/waba/users/{user} does.
func eraseCmd(a *app) *cobra.Command {
	var account int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "erase USER",
		Short: "delete everything the account holds about a user (GDPR erasure)",
		Long: `Delete, in one transaction, everything the account holds about the user
(a phone number or BSUID, and every id linked to it): messages sent to them
with their statuses and links, what they wrote, their conversation windows,
identities, suppression list entries, webhook deliveries about them and
stored idempotent answers naming them. Ledger rows stay with their amounts
and lose the message they were for, so the balance still adds up. This
cannot be undone.`,
		Example: "  openwaba erase 4917612345678 --account 2",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := api.UserID("USER", args[0])
			if err != nil {
				return err
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			e, err := store.EraseUser(cmd.Context(), acct.ID, user, time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.EraseAnswer(user, e))
			}
			fmt.Fprintf(a.stdout, "erased %s from account %d: %d messages sent, %d received, %d windows, %d identities, %d suppression entries, %d webhook deliveries, %d stored answers; %d ledger rows kept without their message\n",
				user, acct.ID, e.Messages, e.Inbound, e.Windows, e.Identities, e.Suppressed, e.Deliveries, e.Replays, e.Ledger)
			return nil
		},
	}
	accountFlag(cmd, &account, "account whose data about the user to erase")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what DELETE /api/waba/users/{user} answers")
	return cmd
}
