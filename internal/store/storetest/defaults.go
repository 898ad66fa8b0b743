package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// testAcceptDefaults: what Accept fills in for a message that leaves it
// open (openwaba.MessageStore, the stores' Accept): CreatedAt is now,
// ScheduledAt is CreatedAt, Status is queued, or scheduled when the
// message is due after it was created; StatusAt is CreatedAt; a fresh
// message has no wamid, attempts or refund whatever it was given.
func testAcceptDefaults(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 100*price)
	cases := []struct {
		name                string
		created, scheduled  time.Time
		status              openwaba.Status
		wantStatus          openwaba.Status
		wantScheduled       time.Time // zero: the created time
		createdNow, dueLate bool
	}{
		{name: "no status, not scheduled", created: t0, wantStatus: openwaba.StatusQueued},
		{name: "no status, due at creation", created: t0, scheduled: t0, wantStatus: openwaba.StatusQueued},
		{name: "no status, due later", created: t0, scheduled: t0.Add(time.Hour), wantStatus: openwaba.StatusScheduled, wantScheduled: t0.Add(time.Hour)},
		{name: "no status, due before creation", created: t0, scheduled: t0.Add(-time.Hour), wantStatus: openwaba.StatusQueued, wantScheduled: t0.Add(-time.Hour)},
		{name: "status given, due later", created: t0, scheduled: t0.Add(time.Hour), status: openwaba.StatusQueued, wantStatus: openwaba.StatusQueued, wantScheduled: t0.Add(time.Hour)},
		{name: "no creation time", wantStatus: openwaba.StatusQueued, createdNow: true},
		{name: "times below a millisecond", created: t0.Add(1500 * time.Microsecond), wantStatus: openwaba.StatusQueued},
	}
	for _, tc := range cases {
		m := textMessage(recipient1, price, t0)
		m.CreatedAt, m.ScheduledAt, m.Status = tc.created, tc.scheduled, tc.status
		m.ExpiresAt = time.Time{}
		m.WAMID, m.Attempts, m.Refunded, m.ID = "wamid.given", 7, true, 12345
		before := time.Now().Truncate(time.Millisecond)
		got := accept(t, s, a.ID, m).Messages[0]
		after := time.Now()
		stored := message(t, s, a.ID, got.ID)
		equal(t, tc.name+": Message after Accept", stored, got)

		created := tc.created.Truncate(time.Millisecond)
		if tc.createdNow {
			if got.CreatedAt.Before(before) || got.CreatedAt.After(after) {
				t.Errorf("%s: created at %v, want now (%v to %v)", tc.name, got.CreatedAt, before, after)
			}
			created = got.CreatedAt
		} else if !got.CreatedAt.Equal(created) {
			t.Errorf("%s: created at %v, want %v", tc.name, got.CreatedAt, created)
		}
		wantScheduled := tc.wantScheduled
		if wantScheduled.IsZero() {
			wantScheduled = created
		}
		if !got.ScheduledAt.Equal(wantScheduled) || got.Status != tc.wantStatus || !got.StatusAt.Equal(created) {
			t.Errorf("%s: scheduled at %v, %s at %v; want scheduled at %v, %s at %v", tc.name,
				got.ScheduledAt, got.Status, got.StatusAt, wantScheduled, tc.wantStatus, created)
		}
		if got.ID == 12345 || got.WAMID != "" || got.Attempts != 0 || got.Refunded {
			t.Errorf("%s: id %d, wamid %q, %d attempts, refunded %v; want a new id and none of the others",
				tc.name, got.ID, got.WAMID, got.Attempts, got.Refunded)
		}
		journal, err := s.StatusHistory(t.Context(), a.ID, got.ID)
		wantErr(t, "StatusHistory", err, nil)
		if len(journal) != 1 || journal[0].Status != tc.wantStatus || !journal[0].At.Equal(created) {
			t.Errorf("%s: journal %+v, want %s at %v", tc.name, journal, tc.wantStatus, created)
		}
	}
}

// testAcceptBalanceEdges: a request is accepted when the balance covers
// its total exactly and refused, all of it, when it is short by one
// micro; a request whose total is zero needs no balance, not even a
// positive one (testAcceptFree), but a request that costs anything is
// refused on a negative balance even if most of it is free.
func testAcceptBalanceEdges(t *testing.T, s openwaba.Store) {
	cases := []struct {
		name    string
		balance openwaba.Micros
		prices  []openwaba.Micros
		want    error
	}{
		{"exactly covered", 3 * price, []openwaba.Micros{price, 2 * price}, nil},
		{"one micro short", 3*price - 1, []openwaba.Micros{price, 2 * price}, openwaba.ErrInsufficientBalance},
		{"free on zero", 0, []openwaba.Micros{0, 0}, nil},
		{"free on a negative balance", -price, []openwaba.Micros{0}, nil},
		{"free and one micro on a negative balance", -price, []openwaba.Micros{0, 0, 1}, openwaba.ErrInsufficientBalance},
		{"one micro on zero", 0, []openwaba.Micros{1}, openwaba.ErrInsufficientBalance},
		{"nothing on a negative balance", -price, nil, nil},
	}
	for i, tc := range cases {
		a := newAccount(t, s, fmt.Sprint("acme", i), 0)
		if tc.balance != 0 {
			_, err := s.Credit(t.Context(), a.ID, tc.balance, "setup")
			wantErr(t, "Credit", err, nil)
		}
		var msgs []openwaba.Message
		var total openwaba.Micros
		for _, p := range tc.prices {
			msgs = append(msgs, textMessage(recipient1, p, t0))
			total += p
		}
		res, err := s.Accept(t.Context(), a.ID, msgs)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: Accept = %v, want %v", tc.name, err, tc.want)
			continue
		}
		want := tc.balance
		if tc.want == nil {
			want -= total
			if res.Balance != want || len(res.Messages) != len(msgs) {
				t.Errorf("%s: balance %v with %d messages, want %v with %d", tc.name, res.Balance, len(res.Messages), want, len(msgs))
			}
		}
		checkBalance(t, s, a.ID, want)
		list, err := s.Messages(t.Context(), a.ID, openwaba.MessageFilter{})
		wantErr(t, "Messages", err, nil)
		if tc.want != nil && len(list) != 0 {
			t.Errorf("%s: a refused request stored %d messages", tc.name, len(list))
		}
	}
}

// testTemplatesByteOrder: Templates lists by name, then language, in the
// order of their bytes (as SQLite compares text and as Prices and
// Analytics sort on PostgreSQL, COLLATE "C"), whatever the database's
// collation: upper case before lower case, "_" between them, non-ASCII
// last.
func testTemplatesByteOrder(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	names := []string{"zeta", "Zeta", "_promo", "alpha", "Alpha", "Ärger", "a_b", "ab", "a-c"}
	var ts []openwaba.Template
	for _, n := range names {
		ts = append(ts, template(a.ID, n, "en", "APPROVED"), template(a.ID, n, "de", "APPROVED"), template(a.ID, n, "en_US", "APPROVED"))
	}
	wantErr(t, "ReplaceTemplates", s.ReplaceTemplates(t.Context(), a.ID, ts), nil)
	got, err := s.Templates(t.Context(), a.ID)
	wantErr(t, "Templates", err, nil)
	order := func(ts []openwaba.Template) []string {
		var out []string
		for _, tp := range ts {
			out = append(out, tp.Name+" "+tp.Language)
		}
		return out
	}
	want := slices.Clone(got)
	slices.SortFunc(want, func(x, y openwaba.Template) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Language, y.Language))
	})
	if len(got) != len(ts) || !slices.Equal(order(got), order(want)) {
		t.Errorf("Templates in the order\n\t%q\nwant\n\t%q", order(got), order(want))
	}
}
