// Package storetest is the conformance suite of openwaba.Store. Every
// storage driver runs it from its own tests:
//
//	storetest.Run(t, func(t *testing.T) openwaba.Store { ... })
//
// or, to run the tests that restart a store on its database too:
//
//	storetest.RunEngine(t, storetest.Engine{Open: ..., Reopen: ...})
//
// The suite speaks only openwaba.Store, so it checks behaviour, never a
// schema. Time is injected through the methods' time arguments; nothing
// sleeps. Times are whole milliseconds, the precision every driver keeps.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// Run runs the suite. open must return a new, empty store for each call and
// close it when the test ends (t.Cleanup). Subtests run in parallel, each on
// its own store. The tests that need Engine.Reopen are skipped.
func Run(t *testing.T, open func(t *testing.T) openwaba.Store) {
	RunEngine(t, Engine{Open: open})
}

// Engine is a storage driver as the suite runs it.
type Engine struct {
	// Open returns a new, empty store and closes it when the test ends
	// (t.Cleanup).
	Open func(t *testing.T) openwaba.Store
	// Reopen, when set, closes s (a store Open or Reopen returned) and
	// opens the database s was working on again, as a restarted gateway
	// does, and closes the new store when the test ends. The suite never
	// uses s afterwards; s may still be closed a second time by Open's
	// cleanup. Without Reopen the tests that restart a store are skipped.
	Reopen func(t *testing.T, s openwaba.Store) openwaba.Store
}

// RunEngine runs the suite on e; see Run.
func RunEngine(t *testing.T, e Engine) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Accounts", accountTests},
		{"Senders", senderTests},
		{"Templates", templateTests},
		{"Messages", messageTests},
		{"Cancel", cancelTests},
		{"Schedule", scheduleTests},
		{"Dispatch", dispatchTests},
		{"ApplyStatus", statusTests},
		{"Inbound", inboundTests},
		{"SenderLeases", senderLeaseTests},
		{"Hooks", hookTests},
		{"Tracking", trackingTests},
		{"Concurrency", concurrencyTests},
		{"Prices", priceTests},
		{"Guards", guardTests},
		{"WebhookIDs", webhookIDTests},
		{"JournalToOutbox", journalOutboxTests},
		{"EventFilter", eventFilterTests},
		{"NUL", nulTests},
		{"Refunds", refundTests},
		{"QueueStats", queueStatsTests},
		{"Users", userTests},
		{"Settle", settleTests},
		{"Health", healthTests},
		{"Generation", generationTests},
		{"History", historyTests},
		{"Media", mediaTests},
		{"Consent", consentTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, e.Open(t))
				})
			}
		})
	}
	t.Run("Reopen", func(t *testing.T) {
		for _, tc := range reopenTests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				if e.Reopen == nil {
					t.Skip("the engine cannot reopen a store (storetest.Engine.Reopen)")
				}
				tc.fn(t, e.Open(t), func(s openwaba.Store) openwaba.Store { return e.Reopen(t, s) })
			})
		}
	})
}

type test struct {
	name string
	fn   func(t *testing.T, s openwaba.Store)
}

// A reopenTest restarts its store: reopen closes the store it is given
// and returns a new one on the same database.
type reopenTest struct {
	name string
	fn   func(t *testing.T, s openwaba.Store, reopen func(openwaba.Store) openwaba.Store)
}

// t0 is the suite's "now"; tests move time by adding to it.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	price      openwaba.Micros = 100_000 // 0.10 per message
	sender1                    = "4915100000001"
	sender2                    = "4915100000002"
	recipient1                 = "4917600000001"
	recipient2                 = "4917600000002"
)

// newAccount creates an account holding balance.
func newAccount(t *testing.T, s openwaba.Store, name string, balance openwaba.Micros) openwaba.Account {
	t.Helper()
	a, err := s.CreateAccount(t.Context(), openwaba.Account{Name: name, CreatedAt: t0})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if balance != 0 {
		if _, err := s.Credit(t.Context(), a.ID, balance, openwaba.ReasonTopUp); err != nil {
			t.Fatalf("Credit: %v", err)
		}
		a.Balance = balance
	}
	return a
}

// textMessage is a queued text message created at t0, due at due.
func textMessage(to string, p openwaba.Micros, due time.Time) openwaba.Message {
	m := openwaba.Message{
		Sender:    sender1,
		Recipient: to,
		Content:   openwaba.Content{Type: openwaba.TypeText, Text: "hello"},
		Text:      "hello",
		Encoding:  "gsm",
		Category:  openwaba.CategoryService,
		Price:     p,
		TTL:       openwaba.DefaultTTL,
		CreatedAt: t0,
		Status:    openwaba.StatusQueued,
	}
	m.ScheduledAt = due
	m.ExpiresAt = due.Add(m.TTL)
	if due.After(t0) {
		m.Status = openwaba.StatusScheduled
	}
	return m
}

// accept accepts msgs or fails the test.
func accept(t *testing.T, s openwaba.Store, accountID int64, msgs ...openwaba.Message) openwaba.AcceptResult {
	t.Helper()
	res, err := s.Accept(t.Context(), accountID, msgs)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if len(res.Messages) != len(msgs) {
		t.Fatalf("Accept returned %d messages, want %d", len(res.Messages), len(msgs))
	}
	return res
}

// acceptOne accepts a message to recipient1 at price, due at t0.
func acceptOne(t *testing.T, s openwaba.Store, accountID int64) openwaba.Message {
	t.Helper()
	return accept(t, s, accountID, textMessage(recipient1, price, t0)).Messages[0]
}

// claim claims or fails the test, and returns the ids in order.
func claim(t *testing.T, s openwaba.Store, now time.Time, lease time.Duration, limit int) []int64 {
	t.Helper()
	msgs, err := s.ClaimDue(t.Context(), now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimDue: %v", err)
	}
	return ids(msgs)
}

func ids(msgs []openwaba.Message) []int64 {
	out := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return out
}

func message(t *testing.T, s openwaba.Store, accountID, id int64) openwaba.Message {
	t.Helper()
	m, err := s.Message(t.Context(), accountID, id)
	if err != nil {
		t.Fatalf("Message %d: %v", id, err)
	}
	return m
}

// history returns the statuses of the message's journal.
func history(t *testing.T, s openwaba.Store, accountID, id int64) []openwaba.Status {
	t.Helper()
	es, err := s.StatusHistory(t.Context(), accountID, id)
	if err != nil {
		t.Fatalf("StatusHistory %d: %v", id, err)
	}
	out := make([]openwaba.Status, 0, len(es))
	for _, e := range es {
		if e.MessageID != id {
			t.Errorf("journal of message %d has an entry of message %d", id, e.MessageID)
		}
		out = append(out, e.Status)
	}
	return out
}

// checkBalance asserts the account's balance and the invariant that it is
// the sum of its ledger.
func checkBalance(t *testing.T, s openwaba.Store, accountID int64, want openwaba.Micros) {
	t.Helper()
	a, err := s.Account(t.Context(), accountID)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if a.Balance != want {
		t.Errorf("balance %v, want %v", a.Balance, want)
	}
	entries, err := s.Ledger(t.Context(), accountID)
	if err != nil {
		t.Fatalf("Ledger: %v", err)
	}
	var sum openwaba.Micros
	for _, e := range entries {
		if e.AccountID != accountID {
			t.Errorf("ledger of account %d has an entry of account %d", accountID, e.AccountID)
		}
		sum += e.Amount
	}
	if sum != a.Balance {
		t.Errorf("balance %v but ledger sums to %v", a.Balance, sum)
	}
}

// refunds counts the refund entries per message in the account's ledger.
func refunds(t *testing.T, s openwaba.Store, accountID int64) map[int64]int {
	t.Helper()
	entries, err := s.Ledger(t.Context(), accountID)
	if err != nil {
		t.Fatalf("Ledger: %v", err)
	}
	n := map[int64]int{}
	for _, e := range entries {
		if e.Reason == openwaba.ReasonRefund {
			n[e.MessageID]++
		}
	}
	return n
}

// wantErr fails the test unless err is target (nil for success).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// equal compares values whose times came from different places: times are
// compared as instants, not by location or monotonic reading.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	g, w := normalize(reflect.ValueOf(&got).Elem()), normalize(reflect.ValueOf(&want).Elem())
	if !reflect.DeepEqual(g.Interface(), w.Interface()) {
		t.Errorf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string { return fmt.Sprintf("%+v", v) }

var timeType = reflect.TypeFor[time.Time]()

// normalize returns a copy of v with every time.Time (also behind pointers,
// in slices and in structs) in UTC without monotonic reading.
func normalize(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch {
	case v.Type() == timeType:
		out.Set(reflect.ValueOf(v.Interface().(time.Time).Round(0).UTC()))
	case v.Kind() == reflect.Struct:
		out.Set(v)
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(normalize(v.Field(i)))
			}
		}
	case v.Kind() == reflect.Pointer && !v.IsNil():
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(normalize(v.Elem()))
		out.Set(p)
	case v.Kind() == reflect.Slice && !v.IsNil():
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(normalize(v.Index(i)))
		}
		out.Set(s)
	default:
		out.Set(v)
	}
	return out
}
