package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// journalOutboxTests take a message to each status it can reach, by every
// call that moves it, each case on a store of its own. Every status the
// journal records for the first time puts the events the root package
// gives it (Status.HookEvents) in the outbox of each hook of the account
// whose event type covers them (HookEvent.Covers) and whose filter, if
// any, is the message's sender; in journal order, and within one status
// in the order of HookEvents. No hook gets anything else.
var journalOutboxTests = journalOutboxCases()

// stepAt is the time of step i of a case.
func stepAt(i int) time.Time { return t0.Add(time.Duration(i+1) * time.Second) }

// reportAt applies a status report at stepAt(i) to wamid.
func reportAt(t *testing.T, s openwaba.Store, wamid string, i int, st openwaba.Status, code int) {
	t.Helper()
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{
		WAMID: wamid, Status: st, At: stepAt(i), Recipient: recipient1, ErrorCode: code, ErrorText: errorText(code)})
	wantErr(t, fmt.Sprintf("ApplyStatus %s", st), err, nil)
}

// claimed accepts m and claims it at t0 (with whatever else is due).
func claimed(t *testing.T, s openwaba.Store, accountID int64, m openwaba.Message) openwaba.Message {
	t.Helper()
	m = accept(t, s, accountID, m).Messages[0]
	got, err := s.ClaimDue(t.Context(), m.ScheduledAt, time.Minute, 100)
	wantErr(t, "ClaimDue", err, nil)
	if !slices.Contains(ids(got), m.ID) {
		t.Fatalf("claimed %v, want message %d among them", ids(got), m.ID)
	}
	return m
}

// submittedAs accepts m and takes it through the dispatcher until
// WhatsApp has it as wamid.
func submittedAs(t *testing.T, s openwaba.Store, accountID int64, m openwaba.Message, wamid string) openwaba.Message {
	t.Helper()
	m = claimed(t, s, accountID, m)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, wamid, t0), nil)
	return m
}

func journalOutboxCases() []test {
	const (
		q         = openwaba.StatusQueued
		scheduled = openwaba.StatusScheduled
		sent      = openwaba.StatusSent
		delivered = openwaba.StatusDelivered
		read      = openwaba.StatusRead
		failed    = openwaba.StatusFailed
		expired   = openwaba.StatusExpired
		deleted   = openwaba.StatusDeleted
	)
	// reports is a path that submits a message and applies WhatsApp's
	// reports to it, one a second.
	reports := func(rs ...report) func(t *testing.T, s openwaba.Store, accountID int64) int64 {
		return func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := submittedAs(t, s, accountID, textMessage(recipient1, price, t0), "wamid.j")
			for i, r := range rs {
				reportAt(t, s, "wamid.j", i, r.status, r.code)
			}
			return m.ID
		}
	}
	cases := []struct {
		name    string
		path    func(t *testing.T, s openwaba.Store, accountID int64) int64 // returns the message's id
		journal []openwaba.Status
	}{
		{"Accept as accepted", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := textMessage(recipient1, price, t0)
			m.Status = openwaba.StatusAccepted
			return accept(t, s, accountID, m).Messages[0].ID
		}, []openwaba.Status{openwaba.StatusAccepted}},
		{"Accept as queued", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			return acceptOne(t, s, accountID).ID
		}, []openwaba.Status{q}},
		{"Accept as scheduled", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			return accept(t, s, accountID, textMessage(recipient1, price, t0.Add(time.Hour))).Messages[0].ID
		}, []openwaba.Status{scheduled}},
		{"Accept as failed", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := textMessage(recipient1, price, t0)
			m.Status = failed
			return accept(t, s, accountID, m).Messages[0].ID
		}, []openwaba.Status{failed}},
		{"ClaimDue of a scheduled message", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			return claimed(t, s, accountID, textMessage(recipient1, price, t0.Add(time.Hour))).ID
		}, []openwaba.Status{scheduled, q}},
		{"MarkSubmitted", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			return submittedAs(t, s, accountID, textMessage(recipient1, price, t0), "wamid.j").ID
		}, []openwaba.Status{q}},
		{"Retry", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := claimed(t, s, accountID, textMessage(recipient1, price, t0))
			wantErr(t, "Retry", s.Retry(t.Context(), m.ID, t0.Add(time.Minute), 130429, "rate limit"), nil)
			return m.ID
		}, []openwaba.Status{q}},
		{"reports sent, delivered, read", reports(report{status: sent}, report{status: delivered}, report{status: read}),
			[]openwaba.Status{q, sent, delivered, read}},
		{"reports repeated", reports(report{status: sent}, report{status: sent}, report{status: delivered},
			report{status: read}, report{status: delivered}, report{status: read}),
			[]openwaba.Status{q, sent, delivered, read}},
		{"reports reversed", reports(report{status: read}, report{status: delivered}, report{status: sent}),
			[]openwaba.Status{q, read, delivered, sent}},
		{"report failed", reports(report{status: failed, code: 131026}), []openwaba.Status{q, failed}},
		{"report failed after delivered", reports(report{status: sent}, report{status: delivered}, report{status: failed, code: 131026}),
			[]openwaba.Status{q, sent, delivered, failed}},
		{"report delivered after failed", reports(report{status: sent}, report{status: failed, code: 131026}, report{status: delivered}),
			[]openwaba.Status{q, sent, failed, delivered}},
		{"reports before MarkSubmitted", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := claimed(t, s, accountID, textMessage(recipient1, price, t0))
			reportAt(t, s, "wamid.early", 0, sent, 0)
			reportAt(t, s, "wamid.early", 1, delivered, 0)
			wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.early", t0), nil)
			return m.ID
		}, []openwaba.Status{q, sent, delivered}},
		{"report failed before MarkSubmitted", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := claimed(t, s, accountID, textMessage(recipient1, price, t0))
			reportAt(t, s, "wamid.early", 0, failed, 131026)
			wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.early", t0), nil)
			return m.ID
		}, []openwaba.Status{q, failed}},
		{"Fail failed", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := claimed(t, s, accountID, textMessage(recipient1, price, t0))
			wantErr(t, "Fail", s.Fail(t.Context(), m.ID, failed, 131026, "undeliverable", stepAt(0)), nil)
			return m.ID
		}, []openwaba.Status{q, failed}},
		{"Fail expired", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := claimed(t, s, accountID, textMessage(recipient1, price, t0))
			wantErr(t, "Fail", s.Fail(t.Context(), m.ID, expired, 0, "", stepAt(0)), nil)
			return m.ID
		}, []openwaba.Status{q, expired}},
		{"Cancel queued", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := acceptOne(t, s, accountID)
			_, err := s.Cancel(t.Context(), accountID, m.ID, stepAt(0))
			wantErr(t, "Cancel", err, nil)
			return m.ID
		}, []openwaba.Status{q, deleted}},
		{"Cancel scheduled", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			m := accept(t, s, accountID, textMessage(recipient1, price, t0.Add(time.Hour))).Messages[0]
			_, err := s.Cancel(t.Context(), accountID, m.ID, stepAt(0))
			wantErr(t, "Cancel", err, nil)
			return m.ID
		}, []openwaba.Status{scheduled, deleted}},
		{"reports after Cancel", func(t *testing.T, s openwaba.Store, accountID int64) int64 {
			// The lease ran out and the message was cancelled while the
			// dispatcher still sent it; WhatsApp then reports on it.
			m := claimed(t, s, accountID, textMessage(recipient1, price, t0))
			_, err := s.Cancel(t.Context(), accountID, m.ID, t0.Add(time.Minute))
			wantErr(t, "Cancel", err, nil)
			wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, "wamid.late", t0.Add(time.Minute)), nil)
			reportAt(t, s, "wamid.late", 100, sent, 0)
			return m.ID
		}, []openwaba.Status{q, deleted, sent}},
	}
	var tests []test
	for _, tc := range cases {
		tests = append(tests, test{tc.name, func(t *testing.T, s openwaba.Store) {
			a := newAccount(t, s, "a", 1_000_000)
			b := newAccount(t, s, "b", 1_000_000)
			var hooks []openwaba.Hook
			for _, ev := range []openwaba.HookEvent{openwaba.HookAll, openwaba.HookDLR, openwaba.HookWAStatus, openwaba.HookWAMO, openwaba.HookTracking} {
				hooks = append(hooks, newHook(t, s, a.ID, ev, ""), newHook(t, s, a.ID, ev, sender1), newHook(t, s, a.ID, ev, sender2))
			}
			foreign := newHook(t, s, b.ID, openwaba.HookAll, "")

			id := tc.path(t, s, a.ID)

			journal, err := s.StatusHistory(t.Context(), a.ID, id)
			wantErr(t, "StatusHistory", err, nil)
			var statuses []openwaba.Status
			for _, e := range journal {
				statuses = append(statuses, e.Status)
			}
			if !slices.Equal(statuses, tc.journal) {
				t.Errorf("journal %v, want %v", statuses, tc.journal)
			}

			// What each hook should get, in order.
			want := map[int64][]string{}
			for _, h := range hooks {
				if h.EventFilter != "" && h.EventFilter != sender1 {
					continue
				}
				for _, e := range journal {
					for _, ev := range e.Status.HookEvents() {
						if h.EventType.Covers(ev) {
							want[h.ID] = append(want[h.ID], fmt.Sprintf("%s %s at %s error %d %q",
								ev, e.Status, e.At.UTC().Format(time.RFC3339), e.ErrorCode, e.ErrorText))
						}
					}
				}
			}
			got := map[int64][]string{}
			for _, d := range drain(t, s, t0.Add(time.Hour)) {
				if d.MessageID != id || d.InboundID != 0 || d.ClickID != 0 {
					t.Errorf("delivery %+v is not one of message %d", d, id)
				}
				if d.Hook.ID == foreign.ID {
					t.Errorf("another account's hook got %s %s", d.Event, d.Status)
				}
				got[d.Hook.ID] = append(got[d.Hook.ID], fmt.Sprintf("%s %s at %s error %d %q",
					d.Event, d.Status, d.StatusAt.UTC().Format(time.RFC3339), d.ErrorCode, d.ErrorText))
			}
			for _, h := range hooks {
				if !slices.Equal(got[h.ID], want[h.ID]) {
					t.Errorf("hook %s filter %q got, in this order:\n\t%v\nwant\n\t%v", h.EventType, h.EventFilter, got[h.ID], want[h.ID])
				}
			}
		}})
	}
	return tests
}
