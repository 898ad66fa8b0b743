package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

func balanceCmd(a *app) *cobra.Command {
	return group("balance", "top up or show an account's balance", balanceShowCmd(a), balanceTopupCmd(a))
}

func balanceShowCmd(a *app) *cobra.Command {
	var account int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "show an account's balance",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			return a.printBalance(acct.ID, acct.Balance, acct.Currency, asJSON)
		},
	}
	accountFlag(cmd, &account, "the account")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what GET /api/balance answers the account's keys")
	return cmd
}

func balanceTopupCmd(a *app) *cobra.Command {
	var account int64
	var reason string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "topup AMOUNT",
		Short: "credit an account; a negative AMOUNT books a correction",
		Example: `  openwaba balance topup --account 2 25
  openwaba balance topup --account 2 -5 --reason correction`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A negative amount is a correction; it is booked the same way.
			amount, err := openwaba.ParseMicros(args[0])
			if err != nil {
				return fmt.Errorf("AMOUNT: %w", err)
			}
			if amount == 0 {
				return fmt.Errorf("AMOUNT: %q: a top-up must not be zero", args[0])
			}
			store, acct, err := a.account(cmd.Context(), account)
			if err != nil {
				return err
			}
			defer store.Close()
			balance, err := store.Credit(cmd.Context(), acct.ID, amount, reason)
			if err != nil {
				return err
			}
			return a.printBalance(acct.ID, balance, acct.Currency, asJSON)
		},
	}
	accountFlag(cmd, &account, "the account to credit")
	cmd.Flags().StringVar(&reason, "reason", openwaba.ReasonTopUp, "reason booked in the ledger")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what POST /api/admin/accounts/{id}/topup answers")
	return cmd
}

func (a *app) printBalance(account int64, balance openwaba.Micros, currency string, asJSON bool) error {
	if asJSON {
		return printAnswer(a.stdout, api.BalanceAnswer(balance, currency))
	}
	_, err := fmt.Fprintf(a.stdout, "account %d balance: %s %s\n", account, balance, currency)
	return err
}
