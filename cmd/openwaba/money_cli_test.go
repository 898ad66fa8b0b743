package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// TestMoneyArgumentsStrict: the CLI reads amounts with the one strict
// parser. 1e13 used to book math.MinInt64 (a balance of -9.2 trillion) and
// 1_000 was read as 1000; each refusal leaves the balance as it was.
func TestMoneyArgumentsStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"topup exponent", []string{"balance", "topup", "--account", "1", "1e13"}, `AMOUNT: "1e13" is not an amount of money`},
		{"topup separator", []string{"balance", "topup", "--account", "1", "1_000"}, `AMOUNT: "1_000" is not an amount of money`},
		{"topup seventh decimal", []string{"balance", "topup", "--account", "1", "0.0000001"}, "at most 6 decimals"},
		{"topup above maximum", []string{"balance", "topup", "--account", "1", "1000000001"}, "at most 1000000000"},
		{"topup NaN", []string{"balance", "topup", "--account", "1", "NaN"}, `"NaN" is not an amount of money`},
		{"topup zero", []string{"balance", "topup", "--account", "1", "0"}, "must not be zero"},
		{"price exponent", []string{"prices", "set", "--category", "marketing", "1e13"}, `AMOUNT: "1e13" is not an amount of money`},
		{"price negative", []string{"prices", "set", "--category", "marketing", "--", "-1"}, "must not be negative"},
		{"starting balance exponent", []string{"accounts", "create", "other", "--balance", "1e13"}, `--balance: "1e13" is not an amount of money`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ctx := context.Background()
			s, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "openwaba.db"), sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.CreateAccount(ctx, openwaba.Account{Name: "acme", Currency: "EUR", Balance: openwaba.MicrosPerUnit})
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			out, err := runCLI(t, dir, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v: %v %s; want an error saying %q", tc.args, err, out, tc.want)
			}
			if out, err := runCLI(t, dir, "balance", "show", "--account", "1"); err != nil || !strings.Contains(out, "balance: 1 EUR") {
				t.Fatalf("balance after a refused command: %v %s", err, out)
			}
			if out, err := runCLI(t, dir, "prices", "list"); err != nil || strings.Contains(out, "marketing") {
				t.Fatalf("prices after a refused command: %v %s", err, out)
			}
		})
	}
}
