// Package pricing prices messages by category.
package pricing

import (
	"context"
	"fmt"
	"strings"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
)

// Table is a fixed price per category, the same for every recipient
// country. It is the gateway's default until prices per country are set.
type Table map[openwaba.PriceCategory]openwaba.Micros

// Default is what a new installation charges, in the account's currency:
// marketing templates 0.0735 (the figure in seven's example), utility and
// authentication templates 0.0456, service (non-template) messages free,
// as Meta bills them since July 2025.
func Default() Table {
	return Table{
		openwaba.CategoryMarketing:      73_500,
		openwaba.CategoryUtility:        45_600,
		openwaba.CategoryAuthentication: 45_600,
		openwaba.CategoryService:        0,
	}
}

// Price returns the price of one message of category c.
func (t Table) Price(_ context.Context, _ int64, c openwaba.PriceCategory, _ string) (openwaba.Micros, error) {
	p, ok := t[c]
	if !ok {
		return 0, fmt.Errorf("no price for category %q", c)
	}
	return p, nil
}

// Source is what the table pricer reads: the account (for its currency)
// and the price table.
type Source interface {
	Account(ctx context.Context, id int64) (openwaba.Account, error)
	Prices(ctx context.Context, currency string) ([]openwaba.Price, error)
}

// Stored prices from the price table in the store: the row of the
// account's currency and the message's category whose prefix is the
// longest one the recipient's number starts with ("" matches every
// number). When no row matches, Fallback's price applies.
type Stored struct {
	Source   Source
	Fallback Table
}

// Price returns the price of one message of category c to recipient, a
// number in international format (digits only) or a BSUID: Meta charges
// by the user's country, and a BSUID begins with it, so a BSUID is priced
// as the calling code of its country (US.1349… as 1).
func (p Stored) Price(ctx context.Context, accountID int64, c openwaba.PriceCategory, recipient string) (openwaba.Micros, error) {
	recipient = Country(recipient)
	acct, err := p.Source.Account(ctx, accountID)
	if err != nil {
		return 0, fmt.Errorf("account: %w", err)
	}
	rows, err := p.Source.Prices(ctx, acct.Currency)
	if err != nil {
		return 0, fmt.Errorf("price table: %w", err)
	}
	return Lookup(rows, p.Fallback, c, recipient)
}

// Lookup is the price of category c to recipient (a number, or a BSUID:
// see Country) by the rows of one currency's price table, or fallback's
// when no row matches.
func Lookup(rows []openwaba.Price, fallback Table, c openwaba.PriceCategory, recipient string) (openwaba.Micros, error) {
	if row, ok := Match(rows, c, Country(recipient)); ok {
		return row.Amount, nil
	}
	return fallback.Price(context.Background(), 0, c, recipient)
}

// Country is what a recipient is priced by: a number as it is, a BSUID as
// the calling code of the country it starts with ("" when unknown: the
// default row).
func Country(recipient string) string {
	if c := openwaba.BSUIDCountry(recipient); c != "" {
		return phone.CallingCode(c)
	}
	return recipient
}

// Match finds the row of category c with the longest prefix of recipient.
func Match(rows []openwaba.Price, c openwaba.PriceCategory, recipient string) (openwaba.Price, bool) {
	best, found := openwaba.Price{}, false
	for _, r := range rows {
		if r.Category != c || !strings.HasPrefix(recipient, r.Prefix) {
			continue
		}
		if !found || len(r.Prefix) > len(best.Prefix) {
			best, found = r, true
		}
	}
	return best, found
}
