package openwaba

import (
	"errors"
	"testing"
)

func TestCredited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		balance, amount, want Micros
		refused               bool
	}{
		{0, 100, 100, false},
		{0, MaxAmount, MaxAmount, false},
		{0, MaxAmount + 1, 0, true},
		{0, -MaxAmount - 1, 0, true},
		{MaxBalance - 1, 1, MaxBalance, false},
		{MaxBalance, 1, MaxBalance, true},
		{-MaxBalance, -1, -MaxBalance, true},
		{5, -10, -5, false},
	}
	for _, tc := range tests {
		got, err := Credited(tc.balance, tc.amount)
		if tc.refused != errors.Is(err, ErrBalanceLimit) || (!tc.refused && got != tc.want) {
			t.Errorf("Credited(%d, %d) = %d, %v; want %d, refused %v", tc.balance, tc.amount, got, err, tc.want, tc.refused)
		}
	}
}

func TestStatusRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s                      Status
		reached, ends, canFail bool
	}{
		{StatusQueued, false, false, false},
		{StatusSent, true, false, false},
		{StatusDelivered, true, false, false},
		{StatusRead, true, false, false},
		{StatusFailed, false, true, true},
		{StatusExpired, false, true, true},
		{StatusDeleted, false, true, false},
	} {
		if tc.s.ReachedWhatsApp() != tc.reached || tc.s.Ends() != tc.ends || tc.s.CanFail() != tc.canFail {
			t.Errorf("%s: reached %v ends %v canFail %v", tc.s, tc.s.ReachedWhatsApp(), tc.s.Ends(), tc.s.CanFail())
		}
	}
	if !StatusDelivered.Follows(StatusFailed) || StatusFailed.Follows(StatusDelivered) || StatusRead.Follows(StatusRead) {
		t.Error("Follows does not order failed below delivered, or lets a status follow itself")
	}
	if !CanDebit(-5, 0) || CanDebit(5, 6) || !CanDebit(6, 6) {
		t.Error("CanDebit: free passes on a negative balance, a priced one needs the money")
	}
}

func TestStoredText(t *testing.T) {
	t.Parallel()
	if got := StoredText("a\x00b"); got != "a\uFFFDb" {
		t.Errorf("StoredText = %q", got)
	}
	if got := StoredText("plain"); got != "plain" {
		t.Errorf("StoredText = %q", got)
	}
}
