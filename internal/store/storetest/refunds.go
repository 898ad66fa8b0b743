package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// refundTests take a message through the paths that refund (Cancel, Fail,
// a failed report before delivery) in the orders races can make, each on
// a store of its own. A message is refunded at most once over its whole
// life, and only when it was never delivered (Meta bills delivered
// messages only: README, "fails before it was delivered, expires, or is
// deleted is refunded exactly once"); free messages book nothing.
var refundTests = refundCases()

func refundCases() []test {
	const lease = time.Minute
	cases := []struct {
		name    string
		price   openwaba.Micros
		steps   func(t *testing.T, s openwaba.Store, accountID, id int64)
		final   openwaba.Status
		refunds int
	}{
		{"Cancel after the lease ran out, then the late send's MarkSubmitted and a failed report", price,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				_, err := s.Cancel(t.Context(), accountID, id, t0.Add(lease))
				wantErr(t, "Cancel", err, nil)
				wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), id, "wamid.r", t0.Add(lease)), nil)
				reportAt(t, s, "wamid.r", 100, openwaba.StatusFailed, 131026)
			}, openwaba.StatusDeleted, 1},
		{"Fail expired, then the late send's MarkSubmitted and a failed report", price,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				wantErr(t, "Fail", s.Fail(t.Context(), id, openwaba.StatusExpired, 0, "", t0), nil)
				wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), id, "wamid.r", t0), nil)
				reportAt(t, s, "wamid.r", 100, openwaba.StatusFailed, 131026)
			}, openwaba.StatusExpired, 1},
		{"failed reported before MarkSubmitted and again after", price,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				reportAt(t, s, "wamid.r", 0, openwaba.StatusFailed, 131026)
				wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), id, "wamid.r", t0), nil)
				reportAt(t, s, "wamid.r", 1, openwaba.StatusFailed, 131026)
			}, openwaba.StatusFailed, 1},
		{"sent reported before MarkSubmitted, failed after", price,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				reportAt(t, s, "wamid.r", 0, openwaba.StatusSent, 0)
				wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), id, "wamid.r", t0), nil)
				reportAt(t, s, "wamid.r", 1, openwaba.StatusFailed, 131026)
			}, openwaba.StatusFailed, 1},
		{"delivered, then failed", price,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), id, "wamid.r", t0), nil)
				reportAt(t, s, "wamid.r", 0, openwaba.StatusDelivered, 0)
				reportAt(t, s, "wamid.r", 1, openwaba.StatusFailed, 131026)
			}, openwaba.StatusDelivered, 0},
		{"Fail, then Cancel", price,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				wantErr(t, "Fail", s.Fail(t.Context(), id, openwaba.StatusFailed, 131026, "x", t0), nil)
				_, err := s.Cancel(t.Context(), accountID, id, t0.Add(time.Hour))
				wantErr(t, "Cancel after Fail", err, openwaba.ErrAlreadySent)
			}, openwaba.StatusFailed, 1},
		{"Cancel, then Fail", price,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				_, err := s.Cancel(t.Context(), accountID, id, t0.Add(lease))
				wantErr(t, "Cancel", err, nil)
				wantErr(t, "Fail after Cancel", s.Fail(t.Context(), id, openwaba.StatusFailed, 131026, "x", t0.Add(lease)), openwaba.ErrConflict)
			}, openwaba.StatusDeleted, 1},
		{"free, cancelled", 0,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				_, err := s.Cancel(t.Context(), accountID, id, t0)
				wantErr(t, "Cancel", err, nil)
			}, openwaba.StatusDeleted, 0},
		{"free, failed", 0,
			func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				wantErr(t, "Fail", s.Fail(t.Context(), id, openwaba.StatusFailed, 131026, "x", t0), nil)
			}, openwaba.StatusFailed, 0},
	}
	var tests []test
	for _, tc := range cases {
		tests = append(tests, test{tc.name, func(t *testing.T, s openwaba.Store) {
			a := newAccount(t, s, "acme", 1_000_000)
			m := accept(t, s, a.ID, textMessage(recipient1, tc.price, t0)).Messages[0]
			tc.steps(t, s, a.ID, m.ID)
			got := message(t, s, a.ID, m.ID)
			if got.Status != tc.final {
				t.Errorf("status %s, want %s", got.Status, tc.final)
			}
			if got.Refunded != (tc.refunds > 0) {
				t.Errorf("refunded = %v, want %v", got.Refunded, tc.refunds > 0)
			}
			if n := refunds(t, s, a.ID)[m.ID]; n != tc.refunds {
				t.Errorf("%d refunds, want %d", n, tc.refunds)
			}
			want := 1_000_000 - tc.price
			if tc.refunds > 0 {
				want = 1_000_000
			}
			checkBalance(t, s, a.ID, want)
			if tc.price == 0 {
				entries, err := s.Ledger(t.Context(), a.ID)
				wantErr(t, "Ledger", err, nil)
				if len(entries) != 1 {
					t.Errorf("ledger %+v, want only the top-up: a free message books nothing", entries)
				}
			}
		}})
	}
	return tests
}

// testFailStatuses: Fail ends a message as failed or expired only; any
// other status is refused and changes nothing.
func testFailStatuses(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 100*price)
	for _, st := range []openwaba.Status{
		openwaba.StatusAccepted, openwaba.StatusScheduled, openwaba.StatusQueued, openwaba.StatusSent,
		openwaba.StatusDelivered, openwaba.StatusRead, openwaba.StatusFailed, openwaba.StatusExpired,
		openwaba.StatusDeleted, "", "bogus",
	} {
		m := acceptOne(t, s, a.ID)
		got, err := s.ClaimDue(t.Context(), t0, time.Hour, 100)
		wantErr(t, "ClaimDue", err, nil)
		if len(got) != 1 || got[0].ID != m.ID {
			t.Fatalf("claimed %v, want [%d]", ids(got), m.ID)
		}
		before := message(t, s, a.ID, m.ID)
		err = s.Fail(t.Context(), m.ID, st, 131026, "x", t0.Add(time.Second))
		ok := st == openwaba.StatusFailed || st == openwaba.StatusExpired
		switch {
		case ok && err != nil:
			t.Errorf("Fail with %q: %v", st, err)
		case !ok && err == nil:
			t.Errorf("Fail with %q succeeded, want an error", st)
		case !ok && errors.Is(err, openwaba.ErrNotFound):
			t.Errorf("Fail with %q: %v; the message exists", st, err)
		}
		after := message(t, s, a.ID, m.ID)
		if !ok {
			equal(t, "message after Fail with "+string(st), after, before)
			// Still the dispatcher's: it can end it properly.
			wantErr(t, "Fail after the refused one", s.Fail(t.Context(), m.ID, openwaba.StatusFailed, 131026, "x", t0), nil)
		} else if after.Status != st {
			t.Errorf("Fail with %q: status %s", st, after.Status)
		}
	}
}
