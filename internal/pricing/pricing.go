// Package pricing prices messages by category.
package pricing

import (
	"context"
	"fmt"

	"github.com/openwaba/openwaba"
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
