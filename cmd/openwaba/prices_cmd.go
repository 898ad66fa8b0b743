package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/phone"
)

func pricesCmd(a *app) *cobra.Command {
	return group("prices", "set, delete or list prices", pricesSetCmd(a), pricesDeleteCmd(a), pricesListCmd(a))
}

// priceRow is the row flags of prices set and delete.
type priceRow struct {
	currency, prefix, category string
}

func (r *priceRow) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.currency, "currency", "EUR", "currency of the price (accounts pay in theirs)")
	cmd.Flags().StringVar(&r.prefix, "prefix", "", "calling-code prefix of the recipients (49, 1, 1242); empty for the currency's default row")
	cmd.Flags().StringVar(&r.category, "category", "", "marketing, utility, authentication or service (required)")
	_ = cmd.MarkFlagRequired("category")
}

func (r *priceRow) price() (openwaba.Price, error) {
	cur, err := parseCurrency(r.currency)
	if err != nil {
		return openwaba.Price{}, err
	}
	cat := openwaba.PriceCategory(r.category)
	switch cat {
	case openwaba.CategoryMarketing, openwaba.CategoryUtility, openwaba.CategoryAuthentication, openwaba.CategoryService:
	default:
		return openwaba.Price{}, fmt.Errorf("--category %q: use marketing, utility, authentication or service", r.category)
	}
	prefix := strings.TrimPrefix(strings.TrimSpace(r.prefix), "+")
	if !phone.ValidPrefix(prefix) {
		return openwaba.Price{}, fmt.Errorf("--prefix %q: must start with a country calling code (49, 1, 1242)", r.prefix)
	}
	return openwaba.Price{Currency: cur, Prefix: prefix, Category: cat}, nil
}

func pricesSetCmd(a *app) *cobra.Command {
	var row priceRow
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "set AMOUNT",
		Short: "set the price of a category of messages to a prefix",
		Example: `  openwaba prices set --currency EUR --category marketing 0.08              # default row
  openwaba prices set --currency EUR --prefix 49 --category marketing 0.1131`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := row.price()
			if err != nil {
				return err
			}
			if p.Amount, err = openwaba.ParseMicros(args[0]); err != nil {
				return fmt.Errorf("AMOUNT: %w", err)
			}
			if p.Amount < 0 {
				return fmt.Errorf("AMOUNT: %q: a price must not be negative", args[0])
			}
			p.UpdatedAt = time.Now().UTC()
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.SetPrice(cmd.Context(), p); err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.PriceAnswer(p))
			}
			fmt.Fprintf(a.stdout, "%s messages to %s: %s %s\n", p.Category, prefixName(p.Prefix), p.Amount, p.Currency)
			return nil
		},
	}
	row.flags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what PUT /api/admin/prices answers")
	return cmd
}

func pricesDeleteCmd(a *app) *cobra.Command {
	var row priceRow
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "delete a price row: the next shorter prefix's, or the built-in price, applies",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := row.price()
			if err != nil {
				return err
			}
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.DeletePrice(cmd.Context(), p.Currency, p.Prefix, p.Category); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "price of %s messages to %s in %s deleted\n", p.Category, prefixName(p.Prefix), p.Currency)
			return nil
		},
	}
	row.flags(cmd)
	return cmd
}

func pricesListCmd(a *app) *cobra.Command {
	var currency string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list the price table",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cur := ""
			if currency != "" {
				var err error
				if cur, err = parseCurrency(currency); err != nil {
					return err
				}
			}
			store, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer store.Close()
			prices, err := store.Prices(cmd.Context(), cur)
			if err != nil {
				return err
			}
			if asJSON {
				return printAnswer(a.stdout, api.PricesAnswer(prices))
			}
			w := newTable(a.stdout)
			fmt.Fprintln(w, "CURRENCY\tPREFIX\tCATEGORY\tAMOUNT\tUPDATED")
			for _, p := range prices {
				pfx := p.Prefix
				if pfx == "" {
					pfx = "default"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.Currency, pfx, p.Category, p.Amount, p.UpdatedAt.UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&currency, "currency", "", "only the rows of this currency (all when empty)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func prefixName(p string) string {
	if p == "" {
		return "every country without a row of its own"
	}
	return "+" + p
}
