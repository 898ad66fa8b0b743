package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// cancelTests cancel a message in each state it can be in, each on a store
// of its own. Only a message waiting in the queue, not leased at that
// moment, can be cancelled; it is then refunded, exactly once over its
// whole life.
var cancelTests = cancelCases()

func cancelCases() []test {
	const lease = time.Minute
	cases := []struct {
		name     string
		due      time.Time
		prepare  func(t *testing.T, s openwaba.Store, accountID, id int64)
		at       time.Time // when Cancel is called
		want     error
		refunded bool // whether the message ends up refunded (by any path)
	}{
		{name: "queued", due: t0, at: t0, refunded: true},
		{name: "scheduled", due: t0.Add(time.Hour), at: t0.Add(30 * time.Minute), refunded: true},
		{
			name: "leased", due: t0, at: t0.Add(lease - time.Millisecond),
			prepare: claimIt(lease), want: openwaba.ErrAlreadySent,
		},
		{
			name: "lease ran out", due: t0, at: t0.Add(lease),
			prepare: claimIt(lease), refunded: true,
		},
		{
			name: "put back by Retry", due: t0, at: t0.Add(time.Second),
			prepare: func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				wantErr(t, "Retry", s.Retry(t.Context(), id, t0.Add(time.Hour), 130429, "rate limit"), nil)
			},
			refunded: true,
		},
		{
			name: "submitted", due: t0, at: t0.Add(time.Hour),
			prepare: func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), id, "wamid.c1", t0), nil)
			},
			want: openwaba.ErrAlreadySent,
		},
		{
			name: "failed", due: t0, at: t0.Add(time.Hour),
			prepare: func(t *testing.T, s openwaba.Store, accountID, id int64) {
				claimIt(lease)(t, s, accountID, id)
				wantErr(t, "Fail", s.Fail(t.Context(), id, openwaba.StatusFailed, 131026, "undeliverable", t0), nil)
			},
			want: openwaba.ErrAlreadySent, refunded: true,
		},
		{
			name: "cancelled before", due: t0, at: t0.Add(time.Second),
			prepare: func(t *testing.T, s openwaba.Store, accountID, id int64) {
				_, err := s.Cancel(t.Context(), accountID, id, t0)
				wantErr(t, "first Cancel", err, nil)
			},
			want: openwaba.ErrAlreadySent, refunded: true,
		},
	}
	var tests []test
	for _, tc := range cases {
		tests = append(tests, test{tc.name, func(t *testing.T, s openwaba.Store) {
			a := newAccount(t, s, "acme", 1_000_000)
			m := accept(t, s, a.ID, textMessage(recipient1, price, tc.due)).Messages[0]
			if tc.prepare != nil {
				tc.prepare(t, s, a.ID, m.ID)
			}
			before := message(t, s, a.ID, m.ID)

			got, err := s.Cancel(t.Context(), a.ID, m.ID, tc.at)
			wantErr(t, "Cancel", err, tc.want)

			after := message(t, s, a.ID, m.ID)
			if tc.want == nil {
				if got.Status != openwaba.StatusDeleted || !got.StatusAt.Equal(tc.at) || !got.Refunded {
					t.Errorf("Cancel returned %s at %v (refunded %v), want deleted at %v, refunded",
						got.Status, got.StatusAt, got.Refunded, tc.at)
				}
				equal(t, "Message after Cancel", after, got)
				if h := history(t, s, a.ID, m.ID); h[len(h)-1] != openwaba.StatusDeleted {
					t.Errorf("journal %v does not end with deleted", h)
				}
				if ids := claim(t, s, tc.at.Add(24*time.Hour), lease, 100); slices.Contains(ids, m.ID) {
					t.Error("a cancelled message was claimed")
				}
			} else {
				equal(t, "Message after a refused Cancel", after, before)
			}

			wantBalance := 1_000_000 - price
			if tc.refunded {
				wantBalance = 1_000_000
			}
			checkBalance(t, s, a.ID, wantBalance)
			if n := refunds(t, s, a.ID)[m.ID]; tc.refunded && n != 1 || !tc.refunded && n != 0 {
				t.Errorf("%d refunds, want refunded=%v (once)", n, tc.refunded)
			}
		}})
	}
	return tests
}

// claimIt claims the message, which must be the only one due.
func claimIt(lease time.Duration) func(t *testing.T, s openwaba.Store, accountID, id int64) {
	return func(t *testing.T, s openwaba.Store, _, id int64) {
		t.Helper()
		if got := claim(t, s, t0, lease, 10); !slices.Equal(got, []int64{id}) {
			t.Fatalf("claimed %v, want [%d]", got, id)
		}
	}
}
