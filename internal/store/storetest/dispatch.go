package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var dispatchTests = []test{
	{"ClaimOrderAndLimit", testClaimOrder},
	{"ClaimLeases", testClaimLease},
	{"RenewLeases", testRenewLeases},
	{"NextDue", testNextDue},
	{"MarkSubmitted", testMarkSubmitted},
	{"Retry", testRetry},
	{"Fail", testFail},
	{"FailOnlyFailedOrExpired", testFailStatuses},
	{"UnknownMessage", testDispatchUnknown},
}

func testClaimOrder(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	res := accept(t, s, a.ID,
		textMessage(recipient1, price, t0.Add(2*time.Minute)),
		textMessage(recipient1, price, t0),
		textMessage(recipient2, price, t0.Add(time.Minute)),
	)
	late, first, second := res.Messages[0].ID, res.Messages[1].ID, res.Messages[2].ID
	now := t0.Add(5 * time.Minute)

	if got := claim(t, s, now, time.Minute, 2); !slices.Equal(got, []int64{first, second}) {
		t.Errorf("first claim %v, want the two oldest due [%d %d]", got, first, second)
	}
	if got := claim(t, s, now, time.Minute, 10); !slices.Equal(got, []int64{late}) {
		t.Errorf("second claim %v, want the rest [%d]", got, late)
	}
	if got := claim(t, s, now, time.Minute, 10); len(got) != 0 {
		t.Errorf("third claim %v, want nothing: all are leased", got)
	}
	if got := claim(t, s, now, time.Minute, 0); len(got) != 0 {
		t.Errorf("claim with limit 0 returned %v", got)
	}
}

func testClaimLease(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	m := acceptOne(t, s, a.ID)
	const lease = time.Minute

	got, err := s.ClaimDue(t.Context(), t0, lease, 10)
	wantErr(t, "ClaimDue", err, nil)
	if len(got) != 1 || got[0].Attempts != 1 {
		t.Fatalf("claimed %+v, want message %d on its first attempt", got, m.ID)
	}
	if again := claim(t, s, t0.Add(lease-time.Millisecond), lease, 10); len(again) != 0 {
		t.Errorf("claimed %v while the lease held", again)
	}

	// The claimer died: once the lease runs out the message is claimable
	// again, as another attempt.
	got, err = s.ClaimDue(t.Context(), t0.Add(lease), lease, 10)
	wantErr(t, "ClaimDue after the lease", err, nil)
	if len(got) != 1 || got[0].ID != m.ID || got[0].Attempts != 2 {
		t.Fatalf("claimed %+v, want message %d on its second attempt", got, m.ID)
	}
	if n := message(t, s, a.ID, m.ID).Attempts; n != 2 {
		t.Errorf("Message shows %d attempts, want 2", n)
	}
}

// testRenewLeases: a renewed lease keeps its message from other claimers
// until the new end; a lease not renewed runs out as before; a message put
// back (Retry) or gone (submitted, unknown) is left as it is.
func testRenewLeases(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	res := accept(t, s, a.ID,
		textMessage(recipient1, price, t0),
		textMessage(recipient2, price, t0),
		textMessage(recipient1, price, t0),
		textMessage(recipient2, price, t0),
	)
	renewed, lapsed, retried, submitted := res.Messages[0].ID, res.Messages[1].ID, res.Messages[2].ID, res.Messages[3].ID
	const lease = time.Minute
	if got := claim(t, s, t0, lease, 10); len(got) != 4 {
		t.Fatalf("claimed %v, want all four", got)
	}
	retryAt := t0.Add(10 * time.Second)
	wantErr(t, "Retry", s.Retry(t.Context(), retried, retryAt, 0, ""), nil)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), submitted, "wamid.1", t0), nil)

	until := t0.Add(5 * time.Minute)
	unknown := submitted + 1000
	wantErr(t, "RenewLeases", s.RenewLeases(t.Context(), []int64{renewed, retried, submitted, unknown}, until), nil)
	wantErr(t, "RenewLeases of nothing", s.RenewLeases(t.Context(), nil, until), nil)
	wantErr(t, "RenewLeases to an earlier time", s.RenewLeases(t.Context(), []int64{renewed}, t0.Add(2*time.Minute)), nil)

	// When the first lease ends, the message not renewed is claimed again,
	// and the retried one is due: the renewal did not lease it again.
	got := claim(t, s, t0.Add(lease), time.Hour, 10)
	if want := []int64{lapsed, retried}; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("claimed %v when the first lease ended, want %v", got, want)
	}
	if got := claim(t, s, until.Add(-time.Millisecond), lease, 10); len(got) != 0 {
		t.Errorf("claimed %v while the renewed lease held", got)
	}
	if got := claim(t, s, until, lease, 10); !slices.Equal(got, []int64{renewed}) {
		t.Errorf("claimed %v when the renewed lease ended, want [%d]", got, renewed)
	}
	if m := message(t, s, a.ID, submitted); m.WAMID != "wamid.1" || m.Pending() {
		t.Errorf("submitted message %+v after the renewal, want wamid.1 and out of the queue", m)
	}
}

func testNextDue(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	wantNext := func(want time.Time) {
		t.Helper()
		next, ok, err := s.NextDue(t.Context())
		wantErr(t, "NextDue", err, nil)
		switch {
		case want.IsZero() && ok:
			t.Errorf("NextDue = %v, want an empty queue", next)
		case !want.IsZero() && (!ok || !next.Equal(want)):
			t.Errorf("NextDue = %v, %v; want %v", next, ok, want)
		}
	}
	wantNext(time.Time{})

	res := accept(t, s, a.ID,
		textMessage(recipient1, price, t0.Add(2*time.Minute)),
		textMessage(recipient2, price, t0.Add(time.Minute)),
	)
	m2, m1 := res.Messages[0].ID, res.Messages[1].ID
	wantNext(t0.Add(time.Minute))

	claimed := claim(t, s, t0.Add(time.Minute), 5*time.Minute, 10)
	if !slices.Equal(claimed, []int64{m1}) {
		t.Fatalf("claimed %v, want [%d]", claimed, m1)
	}
	wantNext(t0.Add(2 * time.Minute)) // m1 is leased; m2 is next

	claimed = claim(t, s, t0.Add(2*time.Minute), 5*time.Minute, 10)
	if !slices.Equal(claimed, []int64{m2}) {
		t.Fatalf("claimed %v, want [%d]", claimed, m2)
	}
	// Only leased messages left: wake when the first lease runs out, in
	// case its dispatcher died.
	wantNext(t0.Add(6 * time.Minute))

	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m1, "wamid.1", t0.Add(2*time.Minute)), nil)
	wantNext(t0.Add(7 * time.Minute))
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m2, "wamid.2", t0.Add(3*time.Minute)), nil)
	wantNext(time.Time{})
}

func testMarkSubmitted(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	m := acceptOne(t, s, a.ID)
	claim(t, s, t0, time.Minute, 10)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.1", t0.Add(time.Second)), nil)

	got := message(t, s, a.ID, m.ID)
	if got.WAMID != "wamid.1" || got.Status != openwaba.StatusQueued || got.Pending() {
		t.Errorf("message %+v, want wamid.1, still queued, no longer pending", got)
	}
	byWAMID, err := s.MessageByWAMID(t.Context(), a.ID, "wamid.1")
	wantErr(t, "MessageByWAMID", err, nil)
	equal(t, "MessageByWAMID", byWAMID, got)
	if again := claim(t, s, t0.Add(24*time.Hour), time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed %v after it was submitted", again)
	}
	checkBalance(t, s, a.ID, 1_000_000-price)
}

func testRetry(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	m := acceptOne(t, s, a.ID)
	claim(t, s, t0, 10*time.Minute, 10)
	next := t0.Add(time.Minute)
	wantErr(t, "Retry", s.Retry(t.Context(), m.ID, next, 130429, "rate limit hit"), nil)

	if got := claim(t, s, next.Add(-time.Millisecond), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed %v before the retry was due", got)
	}
	// Due at next although the first lease would have held until t0+10m:
	// Retry gives the lease up.
	got, err := s.ClaimDue(t.Context(), next, time.Minute, 10)
	wantErr(t, "ClaimDue", err, nil)
	if len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("claimed %v, want [%d]", ids(got), m.ID)
	}
	if c := got[0]; c.Status != openwaba.StatusQueued || c.ErrorCode != 130429 || c.ErrorText != "rate limit hit" || c.Attempts != 2 {
		t.Errorf("retried message %+v, want queued with the last error, second attempt", c)
	}
	if h := history(t, s, a.ID, m.ID); !slices.Equal(h, []openwaba.Status{openwaba.StatusQueued}) {
		t.Errorf("journal %v: a retry is not a status", h)
	}
	checkBalance(t, s, a.ID, 1_000_000-price)

	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.1", next), nil)
	wantErr(t, "Retry after submission", s.Retry(t.Context(), m.ID, next, 0, ""), openwaba.ErrConflict)
	if got := claim(t, s, next.Add(time.Hour), time.Minute, 10); len(got) != 0 {
		t.Errorf("a submitted message came back: claimed %v", got)
	}
}

func testFail(t *testing.T, s openwaba.Store) {
	for _, status := range []openwaba.Status{openwaba.StatusFailed, openwaba.StatusExpired} {
		t.Run(string(status), func(t *testing.T) {
			a := newAccount(t, s, string(status), 1_000_000)
			m := acceptOne(t, s, a.ID)
			claim(t, s, t0, time.Minute, 10)
			at := t0.Add(time.Second)
			wantErr(t, "Fail", s.Fail(t.Context(), m.ID, status, 131026, "message undeliverable", at), nil)

			got := message(t, s, a.ID, m.ID)
			if got.Status != status || !got.StatusAt.Equal(at) || got.ErrorCode != 131026 ||
				got.ErrorText != "message undeliverable" || !got.Refunded {
				t.Errorf("message %+v, want %s at %v with the error, refunded", got, status, at)
			}
			if h := history(t, s, a.ID, m.ID); !slices.Equal(h, []openwaba.Status{openwaba.StatusQueued, status}) {
				t.Errorf("journal %v, want [queued %s]", h, status)
			}
			checkBalance(t, s, a.ID, 1_000_000)
			if n := refunds(t, s, a.ID)[m.ID]; n != 1 {
				t.Errorf("%d refunds, want 1", n)
			}
			if again := claim(t, s, t0.Add(time.Hour), time.Minute, 10); len(again) != 0 {
				t.Errorf("claimed %v after it ended", again)
			}

			err := s.Fail(t.Context(), m.ID, status, 131026, "again", at)
			wantErr(t, "Fail again", err, openwaba.ErrConflict)
			checkBalance(t, s, a.ID, 1_000_000)
		})
	}

	a := newAccount(t, s, "sent", 1_000_000)
	m := acceptOne(t, s, a.ID)
	if err := s.Fail(t.Context(), m.ID, openwaba.StatusSent, 0, "", t0); err == nil {
		t.Error("Fail with status sent succeeded")
	}
	if got := message(t, s, a.ID, m.ID); got.Status != openwaba.StatusQueued {
		t.Errorf("status %s after a refused Fail, want queued", got.Status)
	}
}

func testDispatchUnknown(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	m := acceptOne(t, s, a.ID)
	unknown := m.ID + 1000
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), unknown, "wamid.x", t0), openwaba.ErrNotFound)
	wantErr(t, "Retry", s.Retry(t.Context(), unknown, t0, 0, ""), openwaba.ErrNotFound)
	wantErr(t, "Fail", s.Fail(t.Context(), unknown, openwaba.StatusFailed, 0, "", t0), openwaba.ErrNotFound)
}
