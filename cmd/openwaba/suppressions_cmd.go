package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// suppressionsCmd manages an account's suppression list (docs/consent.md)
// on the store, as the API's /api/waba/suppressions does.
func suppressionsCmd(a *app) *cobra.Command {
	return group("suppressions", "list, add or remove users who opted out of marketing, and set the keywords",
		suppressionsListCmd(a), suppressionsAddCmd(a), suppressionsRemoveCmd(a), suppressionsKeywordsCmd(a))
}

func suppressionsListCmd(a *app) *cobra.Command {
	var account int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list the users on the account's suppression list, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			es, err := store.Suppressions(cmd.Context(), acct.ID)
			if err != nil {
				return err
			}
			optOut, optIn := acct.OptKeywords()
			if asJSON {
				return printAnswer(a.stdout, api.SuppressionsAnswer(es, optOut, optIn))
			}
			fmt.Fprintf(a.stdout, "opt-out keywords: %s\nopt-in keywords: %s\n", strings.Join(optOut, ", "), strings.Join(optIn, ", "))
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tREASON\tSINCE\tNOTE")
			for _, e := range es {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.User, e.Reason, e.CreatedAt.UTC().Format(time.DateTime), e.Note)
			}
			return tw.Flush()
		},
	}
	accountFlag(cmd, &account, "account whose list to show")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func suppressionsAddCmd(a *app) *cobra.Command {
	var account int64
	var note, sender string
	cmd := &cobra.Command{
		Use:   "add USER",
		Short: "put a user (number or BSUID) on the suppression list",
		Long: `Put a user on the account's suppression list, under every id of theirs the
gateway knows: marketing templates to them are refused from now on, and
their queued or scheduled marketing messages are cancelled and refunded.
The account's hooks get an opt_out event.`,
		Example: "  openwaba suppressions add 4917612345678 --note 'asked by phone'",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.consent(cmd, account, sender, args[0], openwaba.ConsentChange{OptOut: true, Reason: openwaba.ConsentAPI, Note: note})
		},
	}
	accountFlag(cmd, &account, "account whose list it is")
	cmd.Flags().StringVar(&note, "note", "", "why, kept with the entry")
	cmd.Flags().StringVar(&sender, "sender", "", "sender number whose WABA links the user's ids (default: any of the account's)")
	return cmd
}

func suppressionsRemoveCmd(a *app) *cobra.Command {
	var account int64
	var sender string
	cmd := &cobra.Command{
		Use:     "remove USER",
		Short:   "take a user off the suppression list, under every id of theirs",
		Example: "  openwaba suppressions remove 4917612345678",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.consent(cmd, account, sender, args[0], openwaba.ConsentChange{OptIn: true, Reason: openwaba.ConsentAPI})
		},
	}
	accountFlag(cmd, &account, "account whose list it is")
	cmd.Flags().StringVar(&sender, "sender", "", "sender number whose WABA links the user's ids (default: any of the account's)")
	return cmd
}

// consent checks the arguments as the API does and applies c.
func (a *app) consent(cmd *cobra.Command, account int64, sender, user string, c openwaba.ConsentChange) error {
	id, err := api.UserID("USER", user)
	if err != nil {
		return err
	}
	if err := openwaba.CheckSuppressionNote(c.Note); err != nil {
		return err
	}
	store, acct, err := a.account(cmd.Context(), account)
	if err != nil {
		return err
	}
	defer store.Close()
	changed, err := store.ApplyConsent(cmd.Context(), acct.ID, sender, id, c, time.Now())
	if err != nil {
		return err
	}
	switch {
	case c.OptOut && changed:
		fmt.Fprintf(a.stdout, "%s is on the suppression list of account %d\n", id, acct.ID)
	case c.OptOut:
		fmt.Fprintf(a.stdout, "%s was on the suppression list of account %d already\n", id, acct.ID)
	case changed:
		fmt.Fprintf(a.stdout, "%s is off the suppression list of account %d\n", id, acct.ID)
	default:
		fmt.Fprintf(a.stdout, "%s was not on the suppression list of account %d\n", id, acct.ID)
	}
	return nil
}

func suppressionsKeywordsCmd(a *app) *cobra.Command {
	var account int64
	var optOut, optIn []string
	cmd := &cobra.Command{
		Use:   "keywords",
		Short: "set the whole messages that put a user on the list (--opt-out) and take them off (--opt-in)",
		Long: `Set the account's keywords. A user whose whole message is one of them (case,
punctuation and emoji around it ignored) goes on or off the list. A list
left out, or given empty, is the default: STOP, STOPP, UNSUBSCRIBE,
ABMELDEN to opt out; START to opt in.`,
		Example: "  openwaba suppressions keywords --opt-out STOP,HALT,ABMELDEN --opt-in START,WEITER",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := openwaba.CheckOptKeywords(optOut, optIn); err != nil {
				return err
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.SetOptKeywords(cmd.Context(), acct.ID, optOut, optIn); err != nil {
				return err
			}
			acct, err = store.Account(cmd.Context(), acct.ID)
			if err != nil {
				return err
			}
			out, in := acct.OptKeywords()
			fmt.Fprintf(a.stdout, "opt-out keywords: %s\nopt-in keywords: %s\n", strings.Join(out, ", "), strings.Join(in, ", "))
			return nil
		},
	}
	accountFlag(cmd, &account, "account whose keywords to set")
	cmd.Flags().StringSliceVar(&optOut, "opt-out", nil, "comma-separated opt-out keywords")
	cmd.Flags().StringSliceVar(&optIn, "opt-in", nil, "comma-separated opt-in keywords")
	return cmd
}
