package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// eventFilterTests run every path that puts events in the outbox for a
// message of sender1 and one of sender2, each path on a store of its own.
// A hook with an event filter gets the events of that sender number only
// (docs/webhooks.md: "messages sent from, or written to, that number"),
// never those of a user's number; a hook without one gets both.
var eventFilterTests = eventFilterCases()

// subject names what a delivery is about: a message or an inbound message.
func subject(d openwaba.Delivery) string {
	if d.InboundID != 0 {
		return fmt.Sprintf("inbound %d", d.InboundID)
	}
	return fmt.Sprintf("message %d", d.MessageID)
}

func eventFilterCases() []test {
	type path func(t *testing.T, s openwaba.Store, accountID int64, sender string) string
	// reported submits a message of sender and applies reports to it.
	reported := func(sts ...openwaba.Status) path {
		return func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			wamid := "wamid.f" + sender
			m := submittedAs(t, s, accountID, fromSender(sender, t0), wamid)
			for i, st := range sts {
				code := 0
				if st == openwaba.StatusFailed {
					code = 131026
				}
				reportAt(t, s, wamid, i, st, code)
			}
			return fmt.Sprintf("message %d", m.ID)
		}
	}
	failed := func(st openwaba.Status) path {
		return func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			m := claimed(t, s, accountID, fromSender(sender, t0))
			wantErr(t, "Fail", s.Fail(t.Context(), m.ID, st, 131026, "undeliverable", stepAt(0)), nil)
			return fmt.Sprintf("message %d", m.ID)
		}
	}
	cases := []struct {
		name string
		path path
	}{
		{"status reports", reported(openwaba.StatusSent, openwaba.StatusDelivered, openwaba.StatusRead)},
		{"failed report", reported(openwaba.StatusFailed)},
		{"reports before MarkSubmitted", func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			wamid := "wamid.early" + sender
			m := claimed(t, s, accountID, fromSender(sender, t0))
			reportAt(t, s, wamid, 0, openwaba.StatusSent, 0)
			wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), m.ID, wamid, t0), nil)
			return fmt.Sprintf("message %d", m.ID)
		}},
		{"Fail failed", failed(openwaba.StatusFailed)},
		{"Fail expired", failed(openwaba.StatusExpired)},
		{"Cancel", func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			m := accept(t, s, accountID, fromSender(sender, t0.Add(time.Hour))).Messages[0]
			_, err := s.Cancel(t.Context(), accountID, m.ID, stepAt(0))
			wantErr(t, "Cancel", err, nil)
			return fmt.Sprintf("message %d", m.ID)
		}},
		{"Accept as failed", func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			m := fromSender(sender, t0)
			m.Status = openwaba.StatusFailed
			return fmt.Sprintf("message %d", accept(t, s, accountID, m).Messages[0].ID)
		}},
		{"inbound message", func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			in := inbound(accountID, "wamid.in"+sender, recipient1, t0, "hi")
			in.Sender = sender
			record(t, s, in)
			got, err := s.InboundByWAMID(t.Context(), accountID, in.WAMID)
			wantErr(t, "InboundByWAMID", err, nil)
			return fmt.Sprintf("inbound %d", got.ID)
		}},
		{"click", func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			m := trackedMessage(recipient1, "Filt"+sender[len(sender)-4:])
			m.Sender = sender
			m = accept(t, s, accountID, m).Messages[0]
			_, err := s.RecordClick(t.Context(), m.Links[0].Code, stepAt(0), "UA", false)
			wantErr(t, "RecordClick", err, nil)
			return fmt.Sprintf("message %d", m.ID)
		}},
		{"EnqueueEvent", func(t *testing.T, s openwaba.Store, accountID int64, sender string) string {
			m := accept(t, s, accountID, fromSender(sender, t0)).Messages[0]
			wantErr(t, "EnqueueEvent", s.EnqueueEvent(t.Context(), accountID, openwaba.HookTracking, sender, m.ID, []byte(`{}`), stepAt(0)), nil)
			return fmt.Sprintf("message %d", m.ID)
		}},
	}
	var tests []test
	for _, tc := range cases {
		tests = append(tests, test{tc.name, func(t *testing.T, s openwaba.Store) {
			a := newAccount(t, s, "a", 1_000_000)
			filters := []string{"", sender1, sender2, recipient1} // recipient1: the user's number
			hooks := map[int64]string{}
			for _, f := range filters {
				hooks[newHook(t, s, a.ID, openwaba.HookAll, f).ID] = f
			}
			senderOf := map[string]string{
				tc.path(t, s, a.ID, sender1): sender1,
				tc.path(t, s, a.ID, sender2): sender2,
			}
			if len(senderOf) != 2 {
				t.Fatalf("the path made one subject for both senders: %v", senderOf)
			}
			got := map[string][]string{} // filter → subjects it got events of
			for _, d := range drain(t, s, t0.Add(time.Hour)) {
				f, ok := hooks[d.Hook.ID]
				if !ok {
					t.Fatalf("delivery to unknown hook %d", d.Hook.ID)
				}
				sub := subject(d)
				if _, ok := senderOf[sub]; !ok {
					t.Errorf("delivery %s %s about %s, which the path did not make", d.Event, d.Status, sub)
					continue
				}
				if !slices.Contains(got[f], sub) {
					got[f] = append(got[f], sub)
				}
			}
			for _, f := range filters {
				var want []string
				for sub, sd := range senderOf {
					if f == "" || f == sd {
						want = append(want, sub)
					}
				}
				slices.Sort(want)
				slices.Sort(got[f])
				if !slices.Equal(got[f], want) {
					t.Errorf("hook with event_filter %q got events of %v, want %v (%s is sender1's, %s sender2's)",
						f, got[f], want, subjectOf(senderOf, sender1), subjectOf(senderOf, sender2))
				}
			}
		}})
	}
	return tests
}

func subjectOf(m map[string]string, v string) string {
	for k, x := range m {
		if x == v {
			return k
		}
	}
	return ""
}
