package pricing_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/pricing"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

func TestStoredLongestPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	eur, _ := s.CreateAccount(ctx, openwaba.Account{Name: "eur", Currency: "EUR"})
	usd, _ := s.CreateAccount(ctx, openwaba.Account{Name: "usd", Currency: "USD"})
	for _, p := range []openwaba.Price{
		{Currency: "EUR", Prefix: "", Category: openwaba.CategoryMarketing, Amount: 100_000},
		{Currency: "EUR", Prefix: "49", Category: openwaba.CategoryMarketing, Amount: 130_000},
		{Currency: "EUR", Prefix: "4915", Category: openwaba.CategoryMarketing, Amount: 150_000},
		{Currency: "EUR", Prefix: "1", Category: openwaba.CategoryUtility, Amount: 5_000},
		{Currency: "USD", Prefix: "", Category: openwaba.CategoryMarketing, Amount: 20_000},
	} {
		if err := s.SetPrice(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	p := pricing.Stored{Source: s, Fallback: pricing.Default()}
	tests := []struct {
		name      string
		account   int64
		category  openwaba.PriceCategory
		recipient string
		want      openwaba.Micros
	}{
		{"default row", eur.ID, openwaba.CategoryMarketing, "33612345678", 100_000},
		{"country", eur.ID, openwaba.CategoryMarketing, "4917612345678", 130_000},
		{"longest prefix", eur.ID, openwaba.CategoryMarketing, "4915112345678", 150_000},
		{"other category, country row", eur.ID, openwaba.CategoryUtility, "12025550123", 5_000},
		{"no row: built-in default", eur.ID, openwaba.CategoryUtility, "4917612345678", 45_600},
		{"account currency", usd.ID, openwaba.CategoryMarketing, "4917612345678", 20_000},
		{"BSUID: its country's row", eur.ID, openwaba.CategoryMarketing, "DE.1350000000000000001", 130_000},
		{"BSUID of a country without a row", eur.ID, openwaba.CategoryMarketing, "FR.1350000000000000001", 100_000},
		{"parent BSUID", eur.ID, openwaba.CategoryUtility, "US.ENT.1350000000000000001", 5_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := p.Price(ctx, tc.account, tc.category, tc.recipient)
			if err != nil || got != tc.want {
				t.Fatalf("Price = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := p.Price(ctx, usd.ID+100, openwaba.CategoryMarketing, "49176"); err == nil {
		t.Fatal("unknown account priced")
	}
}
