package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/phone"
)

// defaultMPS is the dispatcher's pace of a sender without its own, as
// senders list shows it.
const defaultMPS = openwaba.DefaultMPS

func sendersCmd(a *app) *cobra.Command {
	return group("senders", "add, list or remove sender numbers", sendersAddCmd(a), sendersListCmd(a), sendersRemoveCmd(a))
}

func sendersAddCmd(a *app) *cobra.Command {
	var account int64
	var s openwaba.Sender
	var update, asJSON bool
	cmd := &cobra.Command{
		Use:   "add NUMBER",
		Short: "register a sender number with its Meta ids",
		Long: `Register a WhatsApp Business number with the account: its phone number id
and WABA id from Meta (WhatsApp → API Setup). A running gateway picks it up
within seconds: its sandbox knows the number at once, and its templates are
synced. A number the account has already is refused unless --update.`,
		Example: "  openwaba senders add 4915199999999 --account 2 --phone-number-id 1234 --waba-id 5678",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := phone.Normalize(args[0])
			if err != nil {
				return fmt.Errorf("NUMBER: %w", err)
			}
			if s.MPS < 0 || s.MPS > 1000 {
				return errors.New("--mps must be between 0 and 1000")
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			old, err := store.Sender(cmd.Context(), acct.ID, number)
			existed := err == nil
			switch {
			case err == nil && !update:
				return fmt.Errorf("account %d has sender %s already (phone number id %s, WABA %s): pass --update to replace its ids and MPS", acct.ID, number, old.PhoneNumberID, old.WABAID)
			case err != nil && !errors.Is(err, openwaba.ErrNotFound):
				return err
			}
			s.Number, s.AccountID = number, acct.ID
			// The store refuses a number of another account
			// (openwaba.ErrSenderTaken).
			if err := store.PutSender(cmd.Context(), s); err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.SenderAnswer(s, time.Now()))
			}
			verb := "added to"
			if existed {
				verb = "updated in"
			}
			fmt.Fprintf(a.stdout, "sender %s %s account %d (phone number id %s, WABA %s)\n", number, verb, acct.ID, s.PhoneNumberID, s.WABAID)
			return nil
		},
	}
	accountFlag(cmd, &account, "account the number belongs to")
	cmd.Flags().StringVar(&s.PhoneNumberID, "phone-number-id", "", "Meta's phone number id of the number (required)")
	cmd.Flags().StringVar(&s.WABAID, "waba-id", "", "id of the WhatsApp Business Account the number is in (required)")
	cmd.Flags().IntVar(&s.MPS, "mps", 0, "throughput in messages per second; 0 for the default of 80 (Meta allows up to 1000 for upgraded numbers)")
	cmd.Flags().BoolVar(&update, "update", false, "replace the ids and MPS of a number the account has already")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what POST /api/admin/accounts/{id}/senders answers")
	_ = cmd.MarkFlagRequired("phone-number-id")
	_ = cmd.MarkFlagRequired("waba-id")
	return cmd
}

func sendersListCmd(a *app) *cobra.Command {
	var account int64
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list an account's sender numbers, or every account's",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, filter, err := a.accountOrAll(cmd, account, all)
			if err != nil {
				return err
			}
			defer store.Close()
			senders, err := store.Senders(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.SendersAnswer(senders, time.Now()))
			}
			w := newTable(a.stdout)
			fmt.Fprintln(w, "NUMBER\tACCOUNT\tPHONE NUMBER ID\tWABA ID\tMPS\tQUALITY\tLIMIT\tMARKETING")
			now := time.Now()
			for _, s := range senders {
				mps := fmt.Sprint(s.MPS)
				if s.MPS == 0 {
					mps = fmt.Sprintf("%d (default)", defaultMPS)
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Number, s.AccountID, s.PhoneNumberID, s.WABAID, mps,
					orDash(s.Health.Quality), orDash(s.Health.MessagingLimit), s.Health.Marketing(now))
			}
			return w.Flush()
		},
	}
	accountFlag(cmd, &account, "the account whose numbers to list")
	allAccountsFlag(cmd, &all)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what GET /api/admin/accounts/{id}/senders answers (mps 0: the default)")
	return cmd
}

func sendersRemoveCmd(a *app) *cobra.Command {
	var account int64
	cmd := &cobra.Command{
		Use:   "remove NUMBER",
		Short: "remove a sender number; its messages stay",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := phone.Normalize(args[0])
			if err != nil {
				return fmt.Errorf("NUMBER: %w", err)
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			if _, err := store.Sender(cmd.Context(), acct.ID, number); err != nil {
				return fmt.Errorf("account %d has no sender %s (see openwaba senders list --all-accounts): %w", acct.ID, number, err)
			}
			if err := store.RemoveSender(cmd.Context(), number); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "sender %s removed from account %d\n", number, acct.ID)
			return nil
		},
	}
	accountFlag(cmd, &account, "the account the number belongs to")
	return cmd
}

// orDash is s, or "-" for nothing reported.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
