package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// statusTests feed WhatsApp's status reports in the orders WhatsApp can
// deliver them, each case on a store of its own.
var statusTests = append(statusCases(), []test{
	{"UnknownWAMID", testApplyStatusUnknown},
	{"OnlyTheReportedMessage", testApplyStatusOneMessage},
	{"BeforeSubmitted", testApplyStatusBeforeSubmitted},
	{"Batch", testApplyStatusesBatch},
	{"BatchAllOrNone", testApplyStatusesAllOrNone},
}...)

type report struct {
	status openwaba.Status
	code   int
}

func statusCases() []test {
	var (
		sent      = report{status: openwaba.StatusSent}
		delivered = report{status: openwaba.StatusDelivered}
		read      = report{status: openwaba.StatusRead}
		failed    = report{status: openwaba.StatusFailed, code: 131026}
		played    = report{status: openwaba.StatusPlayed}
		held      = report{status: openwaba.StatusHeld}
		paused    = report{status: openwaba.StatusPaused, code: 132015}
	)
	q := openwaba.StatusQueued
	cases := []struct {
		name        string
		reports     []report
		changed     []bool
		final       openwaba.Status
		finalReport int // index of the report that set the final status
		journal     []openwaba.Status
		errorCode   int
		refunded    bool
	}{
		{
			name:    "in order",
			reports: []report{sent, delivered, read}, changed: []bool{true, true, true},
			final: openwaba.StatusRead, finalReport: 2,
			journal: []openwaba.Status{q, "sent", "delivered", "read"},
		},
		{
			name:    "reversed",
			reports: []report{read, delivered, sent}, changed: []bool{true, false, false},
			final: openwaba.StatusRead, finalReport: 0,
			journal: []openwaba.Status{q, "read", "delivered", "sent"},
		},
		{
			name:    "repeated",
			reports: []report{sent, sent, delivered, delivered, sent}, changed: []bool{true, false, true, false, false},
			final: openwaba.StatusDelivered, finalReport: 2,
			journal: []openwaba.Status{q, "sent", "delivered"},
		},
		{
			name:    "failed before sent is refunded",
			reports: []report{failed}, changed: []bool{true},
			final: openwaba.StatusFailed, finalReport: 0, errorCode: 131026,
			journal: []openwaba.Status{q, "failed"}, refunded: true,
		},
		{
			name:    "failed twice is refunded once",
			reports: []report{failed, failed}, changed: []bool{true, false},
			final: openwaba.StatusFailed, finalReport: 0, errorCode: 131026,
			journal: []openwaba.Status{q, "failed"}, refunded: true,
		},
		{
			// Meta bills delivered messages only.
			name:    "failed after sent is refunded",
			reports: []report{sent, failed}, changed: []bool{true, true},
			final: openwaba.StatusFailed, finalReport: 1, errorCode: 131026,
			journal: []openwaba.Status{q, "sent", "failed"}, refunded: true,
		},
		{
			name:    "failed after delivered changes nothing",
			reports: []report{delivered, failed}, changed: []bool{true, false},
			final: openwaba.StatusDelivered, finalReport: 0,
			journal: []openwaba.Status{q, "delivered", "failed"},
		},
		{
			name:    "played after read",
			reports: []report{sent, delivered, read, played, read}, changed: []bool{true, true, true, true, false},
			final: openwaba.StatusPlayed, finalReport: 3,
			journal: []openwaba.Status{q, "sent", "delivered", "read", "played"},
		},
		{
			name:    "held, then sent",
			reports: []report{held, sent, delivered, held}, changed: []bool{true, true, true, false},
			final: openwaba.StatusDelivered, finalReport: 2,
			journal: []openwaba.Status{q, "held_for_quality_assessment", "sent", "delivered"},
		},
		{
			name:    "held, then paused is refunded",
			reports: []report{held, paused, paused, held}, changed: []bool{true, true, false, false},
			final: openwaba.StatusPaused, finalReport: 1, errorCode: 132015,
			journal: []openwaba.Status{q, "held_for_quality_assessment", "paused"}, refunded: true,
		},
		{
			// Meta bills delivered messages only: a pause that came after
			// sent, and no delivery, costs nothing (a later delivery would
			// settle the price again).
			name:    "paused after sent, never delivered, is refunded",
			reports: []report{sent, paused}, changed: []bool{true, false},
			final: openwaba.StatusSent, finalReport: 0,
			journal: []openwaba.Status{q, "sent", "paused"}, refunded: true,
		},
		{
			name:    "delivered late outranks failed",
			reports: []report{sent, failed, delivered}, changed: []bool{true, true, true},
			final: openwaba.StatusDelivered, finalReport: 2, errorCode: 131026,
			journal: []openwaba.Status{q, "sent", "failed", "delivered"},
		},
	}
	var tests []test
	// Every case twice: a report per ApplyStatus, and all of them in one
	// ApplyStatuses (as one webhook of Meta's can carry them), which must
	// come to the same.
	for _, tc := range cases {
		for _, batched := range []bool{false, true} {
			name := tc.name
			if batched {
				name += " in one batch"
			}
			tests = append(tests, test{name, func(t *testing.T, s openwaba.Store) {
				a := newAccount(t, s, "acme", 1_000_000)
				m := submitted(t, s, a.ID, "wamid.s1")
				at := func(i int) time.Time { return t0.Add(time.Duration(i+1) * time.Second) }
				var us []openwaba.StatusUpdate
				for i, r := range tc.reports {
					us = append(us, openwaba.StatusUpdate{
						WAMID: "wamid.s1", Status: r.status, At: at(i), Recipient: recipient1,
						ErrorCode: r.code, ErrorText: errorText(r.code),
					})
				}
				var changed []bool
				if batched {
					var err error
					changed, err = s.ApplyStatuses(t.Context(), us)
					wantErr(t, "ApplyStatuses", err, nil)
				} else {
					for i, u := range us {
						c, err := s.ApplyStatus(t.Context(), u)
						wantErr(t, fmt.Sprintf("report %d (%s)", i, u.Status), err, nil)
						changed = append(changed, c)
					}
				}
				if !slices.Equal(changed, tc.changed) {
					t.Errorf("changed = %v, want %v", changed, tc.changed)
				}
				checkStatusCase(t, s, a.ID, m.ID, at(tc.finalReport), tc.final, tc.errorCode, tc.journal, tc.refunded)
			}})
		}
	}
	return tests
}

// checkStatusCase checks message id after a case's reports: its final
// status and when it was reached, its error, journal and refund.
func checkStatusCase(t *testing.T, s openwaba.Store, accountID, id int64, finalAt time.Time, final openwaba.Status,
	errorCode int, journal []openwaba.Status, refunded bool) {
	t.Helper()
	got := message(t, s, accountID, id)
	if got.Status != final || !got.StatusAt.Equal(finalAt) {
		t.Errorf("status %s at %v, want %s at %v", got.Status, got.StatusAt, final, finalAt)
	}
	if got.ErrorCode != errorCode || got.ErrorText != errorText(errorCode) {
		t.Errorf("error %d %q, want %d", got.ErrorCode, got.ErrorText, errorCode)
	}
	if h := history(t, s, accountID, id); !slices.Equal(h, journal) {
		t.Errorf("journal %v, want %v", h, journal)
	}
	if got.Refunded != refunded {
		t.Errorf("refunded = %v, want %v", got.Refunded, refunded)
	}
	wantBalance := 1_000_000 - price
	if refunded {
		wantBalance = 1_000_000
	}
	checkBalance(t, s, accountID, wantBalance)
	if n := refunds(t, s, accountID)[id]; n > 1 {
		t.Errorf("refunded %d times", n)
	}
}

func errorText(code int) string {
	if code == 0 {
		return ""
	}
	return fmt.Sprintf("error %d", code)
}

// submitted accepts a message and takes it through the dispatcher until
// WhatsApp has it as wamid.
func submitted(t *testing.T, s openwaba.Store, accountID int64, wamid string) openwaba.Message {
	t.Helper()
	m := acceptOne(t, s, accountID)
	if got := claim(t, s, t0, time.Minute, 1); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("claimed %v, want [%d]", got, m.ID)
	}
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, wamid, t0), nil)
	return message(t, s, accountID, m.ID)
}

func testApplyStatusUnknown(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	m := acceptOne(t, s, a.ID)
	changed, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.unknown", Status: openwaba.StatusSent, At: t0})
	if err != nil || changed {
		t.Errorf("ApplyStatus of an unknown wamid = %v, %v; want false, nil", changed, err)
	}
	if got := message(t, s, a.ID, m.ID); got.Status != openwaba.StatusQueued {
		t.Errorf("an unrelated message moved to %s", got.Status)
	}
}

func testApplyStatusOneMessage(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 1_000_000)
	ma := submitted(t, s, a.ID, "wamid.a")
	mb := submitted(t, s, b.ID, "wamid.b")
	changed, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.b", Status: openwaba.StatusFailed, At: t0, ErrorCode: 131026})
	if err != nil || !changed {
		t.Fatalf("ApplyStatus = %v, %v", changed, err)
	}
	if got := message(t, s, a.ID, ma.ID); got.Status != openwaba.StatusQueued || got.Refunded {
		t.Errorf("the other account's message is %s, refunded %v", got.Status, got.Refunded)
	}
	if got := message(t, s, b.ID, mb.ID); got.Status != openwaba.StatusFailed || !got.Refunded {
		t.Errorf("reported message is %s, refunded %v; want failed, refunded", got.Status, got.Refunded)
	}
	checkBalance(t, s, a.ID, 1_000_000-price)
	checkBalance(t, s, b.ID, 1_000_000)
}

// testApplyStatusBeforeSubmitted: Meta can report sent and delivered
// before the dispatcher has stored the wamid its send call returned. The
// reports wait and are applied when the wamid is stored, not dropped, in
// the order of their ranks (sent before delivered, whatever order they
// came in).
func testApplyStatusBeforeSubmitted(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 1_000_000)
	m := acceptOne(t, s, a.ID)
	if got := claim(t, s, t0, time.Minute, 1); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("claimed %v, want [%d]", got, m.ID)
	}
	for i, st := range []openwaba.Status{openwaba.StatusDelivered, openwaba.StatusSent, openwaba.StatusSent} {
		changed, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{
			WAMID: "wamid.early", Status: st, At: t0.Add(time.Duration(i+1) * time.Second)})
		if err != nil || changed {
			t.Fatalf("early report %s = %v, %v; want false, nil", st, changed, err)
		}
	}
	if got := message(t, s, a.ID, m.ID); got.Status != openwaba.StatusQueued {
		t.Fatalf("before MarkSubmitted the message is %s, want queued", got.Status)
	}
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.early", t0), nil)
	got := message(t, s, a.ID, m.ID)
	if got.Status != openwaba.StatusDelivered || !got.StatusAt.Equal(t0.Add(time.Second)) {
		t.Errorf("after MarkSubmitted: %s at %v, want delivered at %v", got.Status, got.StatusAt, t0.Add(time.Second))
	}
	if h := history(t, s, a.ID, m.ID); !slices.Equal(h, []openwaba.Status{openwaba.StatusQueued, "sent", "delivered"}) {
		t.Errorf("journal %v", h)
	}

	// The early reports were used up: a second message that somehow gets
	// the same wamid does not receive them again.
	m2 := acceptOne(t, s, a.ID)
	claim(t, s, t0, time.Minute, 1)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m2.ID, "wamid.early", t0), nil)
	if got := message(t, s, a.ID, m2.ID); got.Status != openwaba.StatusQueued {
		t.Errorf("second message is %s, want queued", got.Status)
	}
}

// testApplyStatusesBatch: one webhook's reports for several messages, of
// two accounts, one not submitted yet, each applied as alone: results in
// their order, the early one set aside until MarkSubmitted.
func testApplyStatusesBatch(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	b := newAccount(t, s, "b", 1_000_000)
	ma := submitted(t, s, a.ID, "wamid.a")
	mb := submitted(t, s, b.ID, "wamid.b")
	changed, err := s.ApplyStatuses(t.Context(), []openwaba.StatusUpdate{
		{WAMID: "wamid.a", Status: openwaba.StatusSent, At: t0.Add(time.Second)},
		{WAMID: "wamid.later", Status: openwaba.StatusSent, At: t0.Add(time.Second)},
		{WAMID: "wamid.b", Status: openwaba.StatusFailed, At: t0.Add(time.Second), ErrorCode: 131026, ErrorText: errorText(131026)},
		{WAMID: "wamid.a", Status: openwaba.StatusDelivered, At: t0.Add(2 * time.Second)},
		{WAMID: "", Status: openwaba.StatusSent},
		{WAMID: "wamid.a", Status: openwaba.StatusSent, At: t0.Add(3 * time.Second)},
	})
	wantErr(t, "ApplyStatuses", err, nil)
	if want := []bool{true, false, true, true, false, false}; !slices.Equal(changed, want) {
		t.Errorf("changed = %v, want %v", changed, want)
	}
	checkStatusCase(t, s, a.ID, ma.ID, t0.Add(2*time.Second), openwaba.StatusDelivered, 0,
		[]openwaba.Status{openwaba.StatusQueued, "sent", "delivered"}, false)
	checkStatusCase(t, s, b.ID, mb.ID, t0.Add(time.Second), openwaba.StatusFailed, 131026,
		[]openwaba.Status{openwaba.StatusQueued, "failed"}, true)

	later := acceptOne(t, s, a.ID)
	claim(t, s, t0, time.Minute, 1)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), later.ID, "wamid.later", t0), nil)
	if got := message(t, s, a.ID, later.ID); got.Status != openwaba.StatusSent {
		t.Errorf("the report set aside in the batch left the message %s, want sent", got.Status)
	}
}

// testApplyStatusesAllOrNone: a batch with an invalid status applies
// nothing, the valid reports before it neither.
func testApplyStatusesAllOrNone(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 1_000_000)
	m := submitted(t, s, a.ID, "wamid.a")
	changed, err := s.ApplyStatuses(t.Context(), []openwaba.StatusUpdate{
		{WAMID: "wamid.a", Status: openwaba.StatusSent, At: t0},
		{WAMID: "wamid.a", Status: "bounced", At: t0},
	})
	if err == nil || changed != nil {
		t.Errorf("ApplyStatuses with an invalid status = %v, %v; want an error", changed, err)
	}
	if got := message(t, s, a.ID, m.ID); got.Status != openwaba.StatusQueued {
		t.Errorf("after the refused batch the message is %s, want queued", got.Status)
	}
	if got, err := s.ApplyStatuses(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("ApplyStatuses(nil) = %v, %v; want none, nil", got, err)
	}
}
