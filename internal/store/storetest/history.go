package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// What users wrote and what they were sent, listed and threaded: by any
// id of the user (number or BSUID, linked), newest first with cursors,
// never another account's.
var historyTests = []test{
	{"InboundList", testInboundList},
	{"ConversationThread", testConversationThread},
	{"ConversationPages", testConversationPages},
	{"MessageFilters", testMessageFilters},
	{"Offsets", testHistoryOffsets},
	{"Replies", testReplies},
	{"AnalyticsInboundAndRecipients", testAnalyticsInbound},
	{"Export", testExport},
}

func testHistoryOffsets(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	var out, in []int64
	for i := range 5 {
		out = append(out, acceptOne(t, s, a.ID).ID)
		m := inbound(a.ID, fmt.Sprint("wamid.o", i), recipient1, t0.Add(time.Duration(i)*time.Second), "hi")
		record(t, s, m)
		got, err := s.InboundByWAMID(t.Context(), a.ID, m.WAMID)
		wantErr(t, "InboundByWAMID", err, nil)
		in = append(in, got.ID)
	}
	msgs, err := s.Messages(t.Context(), a.ID, openwaba.MessageFilter{Limit: 2, Offset: 2})
	wantErr(t, "Messages", err, nil)
	equal(t, "messages at offset 2", ids(msgs), []int64{out[2], out[1]})
	ins, err := s.InboundMessages(t.Context(), a.ID, openwaba.InboundFilter{Limit: 2, Offset: 4})
	wantErr(t, "InboundMessages", err, nil)
	equal(t, "inbound at offset 4", inboundIDs(ins), []int64{in[0]})
}

// testReplies: a reply is a message from a user the sender number wrote
// to before, under any of the user's ids.
func testReplies(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	withSenders(t, s, a.ID)
	say := func(wamid string, u openwaba.User, sender string, at time.Time) int64 {
		m := fromUser(a.ID, wamid, u, at)
		m.Sender = sender
		record(t, s, m)
		got, err := s.InboundByWAMID(t.Context(), a.ID, wamid)
		wantErr(t, "InboundByWAMID", err, nil)
		return got.ID
	}
	first := say("wamid.r0", openwaba.User{WaID: recipient1}, sender1, t0) // before we wrote: not a reply
	m := textMessage(recipient1, price, t0.Add(time.Minute))
	m.CreatedAt = t0.Add(time.Minute)
	accept(t, s, a.ID, m)
	b := textMessage(bsuid2, price, t0.Add(time.Minute))
	b.CreatedAt = t0.Add(time.Minute)
	accept(t, s, a.ID, b)
	reply := say("wamid.r1", openwaba.User{WaID: recipient1}, sender1, t0.Add(2*time.Minute))
	byBSUID := say("wamid.r2", openwaba.User{UserID: bsuid2}, sender1, t0.Add(2*time.Minute))
	say("wamid.r3", openwaba.User{WaID: recipient1}, sender2, t0.Add(2*time.Minute)) // another number never wrote
	say("wamid.r4", openwaba.User{WaID: recipient2}, sender1, t0.Add(2*time.Minute)) // someone we never wrote to
	got, err := s.InboundMessages(t.Context(), a.ID, openwaba.InboundFilter{Replies: true})
	wantErr(t, "InboundMessages", err, nil)
	equal(t, "replies", inboundIDs(got), []int64{byBSUID, reply})
	if slices.Contains(inboundIDs(got), first) {
		t.Error("a message from before we wrote counts as a reply")
	}
}

func testAnalyticsInbound(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	accept(t, s, a.ID, textMessage(recipient1, price, t0), textMessage(recipient1, price, t0), textMessage(recipient2, price, t0))
	record(t, s, inbound(a.ID, "wamid.a1", recipient1, t0, "hi"))
	record(t, s, inbound(a.ID, "wamid.a2", recipient2, t0.Add(24*time.Hour), "hi"))
	rows, err := s.Analytics(t.Context(), a.ID, openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByRecipient})
	wantErr(t, "Analytics", err, nil)
	equal(t, "by recipient", rows, []openwaba.AnalyticsRow{
		{Key: recipient1, Messages: 2, Cost: 2 * price, Inbound: 1},
		{Key: recipient2, Messages: 1, Cost: price, Inbound: 1},
	})
	rows, err = s.Analytics(t.Context(), a.ID, openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByDate})
	wantErr(t, "Analytics", err, nil)
	equal(t, "by date", rows, []openwaba.AnalyticsRow{
		{Key: "2025-03-01", Messages: 3, Cost: 3 * price, Inbound: 1},
		{Key: "2025-03-02", Inbound: 1}, // a day on which only the user wrote
	})
	rows, err = s.Analytics(t.Context(), a.ID, openwaba.AnalyticsFilter{GroupBy: openwaba.GroupByDate, End: t0.Add(time.Hour)})
	wantErr(t, "Analytics", err, nil)
	equal(t, "by date, before the second day", rows, []openwaba.AnalyticsRow{{Key: "2025-03-01", Messages: 3, Cost: 3 * price, Inbound: 1}})
}

func inboundIDs(ms []openwaba.InboundMessage) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func testInboundList(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	withSenders(t, s, a.ID)
	// The user wrote first with their number and BSUID, then with the
	// BSUID alone (Meta withheld the number): one user, two keys.
	var ids []int64
	for i, m := range []openwaba.InboundMessage{
		fromUser(a.ID, "wamid.h0", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0),
		fromUser(a.ID, "wamid.h1", openwaba.User{UserID: bsuid1}, t0.Add(time.Minute)),
		fromUser(a.ID, "wamid.h2", openwaba.User{WaID: recipient2}, t0.Add(2*time.Minute)),
		fromUser(a.ID, "wamid.h3", openwaba.User{WaID: recipient1}, t0.Add(3*time.Minute)),
	} {
		if i == 1 {
			m.Type, m.Text = "image", "a photo"
		}
		if i == 3 {
			m.Sender = sender2
		}
		record(t, s, m)
		got, err := s.InboundByWAMID(t.Context(), a.ID, m.WAMID)
		wantErr(t, "InboundByWAMID", err, nil)
		ids = append(ids, got.ID)
	}
	record(t, s, fromUser(b.ID, "wamid.hb", openwaba.User{WaID: recipient1}, t0))

	tests := []struct {
		name string
		f    openwaba.InboundFilter
		want []int64
	}{
		{"all, newest first", openwaba.InboundFilter{}, []int64{ids[3], ids[2], ids[1], ids[0]}},
		{"sender", openwaba.InboundFilter{Sender: sender1}, []int64{ids[2], ids[1], ids[0]}},
		{"user by number: linked BSUID too, any WABA", openwaba.InboundFilter{User: recipient1}, []int64{ids[3], ids[1], ids[0]}},
		// The BSUID is linked to the number in waba1; the number names the
		// same person in every WABA.
		{"user by BSUID", openwaba.InboundFilter{User: bsuid1}, []int64{ids[3], ids[1], ids[0]}},
		{"user by BSUID and sender", openwaba.InboundFilter{User: bsuid1, Sender: sender2}, []int64{}},
		{"user and sender", openwaba.InboundFilter{User: recipient1, Sender: sender1}, []int64{ids[1], ids[0]}},
		{"type", openwaba.InboundFilter{Type: "image"}, []int64{ids[1]}},
		{"from", openwaba.InboundFilter{From: t0.Add(2 * time.Minute)}, []int64{ids[3], ids[2]}},
		{"to", openwaba.InboundFilter{To: t0.Add(time.Minute)}, []int64{ids[0]}},
		{"page 1", openwaba.InboundFilter{Limit: 3}, []int64{ids[3], ids[2], ids[1]}},
		{"page 2", openwaba.InboundFilter{Limit: 3, Before: ids[1]}, []int64{ids[0]}},
		{"unknown user", openwaba.InboundFilter{User: bsuid3}, []int64{}},
	}
	for _, tc := range tests {
		got, err := s.InboundMessages(t.Context(), a.ID, tc.f)
		wantErr(t, tc.name, err, nil)
		for _, m := range got {
			if m.AccountID != a.ID {
				t.Fatalf("%s: listed inbound message %d of account %d", tc.name, m.ID, m.AccountID)
			}
		}
		equal(t, tc.name, inboundIDs(got), tc.want)
	}
}

// entryKinds describes entries as "in:<text>" and "out:<id>:<statuses>".
func entryKinds(es []openwaba.ConversationEntry) []string {
	out := []string{}
	for _, e := range es {
		switch {
		case e.Inbound != nil && e.Outbound == nil:
			out = append(out, "in:"+e.Inbound.Text)
		case e.Outbound != nil && e.Inbound == nil:
			var st []string
			for _, s := range e.Statuses {
				st = append(st, string(s.Status))
			}
			out = append(out, fmt.Sprintf("out:%s:%v", e.Outbound.Text, st))
		default:
			out = append(out, "bad entry")
		}
	}
	return out
}

func testConversationThread(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	b := newAccount(t, s, "b", 100*price)
	withSenders(t, s, a.ID)
	say := func(wamid string, u openwaba.User, at time.Time) {
		m := fromUser(a.ID, wamid, u, at)
		m.Text = wamid
		record(t, s, m)
	}
	send := func(accountID int64, to, text string, at time.Time) openwaba.Message {
		m := textMessage(to, price, at)
		m.CreatedAt, m.Status, m.Text = at, openwaba.StatusQueued, text
		return accept(t, s, accountID, m).Messages[0]
	}
	say("hello", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0)
	first := send(a.ID, recipient1, "answer", t0.Add(time.Minute))
	say("thanks", openwaba.User{UserID: bsuid1}, t0.Add(2*time.Minute)) // number withheld now
	send(a.ID, bsuid1, "to the BSUID", t0.Add(3*time.Minute))
	// Same time: the outbound message comes first (ConversationCursor.Less).
	send(a.ID, recipient1, "same time", t0.Add(4*time.Minute))
	say("same time", openwaba.User{WaID: recipient1}, t0.Add(4*time.Minute))
	// Not in this conversation: another user, another sender, another account.
	say("other user", openwaba.User{WaID: recipient2}, t0.Add(time.Minute))
	other := textMessage(recipient1, price, t0)
	other.Sender = sender2
	accept(t, s, a.ID, other)
	send(b.ID, recipient1, "other account", t0.Add(time.Minute))

	claimed := claim(t, s, t0.Add(time.Hour), time.Minute, 10)
	if !slices.Contains(claimed, first.ID) {
		t.Fatalf("claimed %v, not %d", claimed, first.ID)
	}
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), first.ID, "wamid.first", t0.Add(time.Minute)), nil)
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.first", Status: openwaba.StatusDelivered, At: t0.Add(90 * time.Second)})
	wantErr(t, "ApplyStatus", err, nil)

	for _, user := range []string{recipient1, bsuid1} {
		c, err := s.Conversation(t.Context(), openwaba.ConversationFilter{AccountID: a.ID, Sender: sender1, User: user})
		wantErr(t, "Conversation", err, nil)
		equal(t, "entries with "+user, entryKinds(c.Entries), []string{
			"in:hello",
			"out:answer:[queued delivered]",
			"in:thanks",
			"out:to the BSUID:[queued]",
			"out:same time:[queued]",
			"in:same time",
		})
		equal(t, "user", c.User, openwaba.User{WaID: recipient1, UserID: bsuid1})
		if want := t0.Add(4*time.Minute + openwaba.ConversationWindow); !c.WindowOpenUntil.Equal(want) {
			t.Errorf("window open until %v, want %v", c.WindowOpenUntil, want)
		}
		if !c.WindowOpen(t0.Add(time.Hour)) || c.WindowOpen(t0.Add(25*time.Hour)) {
			t.Error("WindowOpen disagrees with WindowOpenUntil")
		}
		if !c.Next.Zero() {
			t.Errorf("one page, but Next is %+v", c.Next)
		}
	}

	c, err := s.Conversation(t.Context(), openwaba.ConversationFilter{AccountID: b.ID, Sender: sender1, User: bsuid3})
	wantErr(t, "Conversation with a stranger", err, nil)
	if len(c.Entries) != 0 || !c.WindowOpenUntil.IsZero() {
		t.Errorf("a stranger's conversation has %d entries, window %v", len(c.Entries), c.WindowOpenUntil)
	}
}

// testConversationPages: paging back with Next visits every entry once,
// also when entries share a time.
func testConversationPages(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	var want []string
	for i := range 7 {
		at := t0.Add(time.Duration(i/2) * time.Minute) // pairs share a time
		m := textMessage(recipient1, price, at)
		m.CreatedAt, m.Status, m.Text = at, openwaba.StatusQueued, fmt.Sprint("o", i)
		accept(t, s, a.ID, m)
		in := inbound(a.ID, fmt.Sprint("wamid.p", i), recipient1, at, fmt.Sprint("i", i))
		record(t, s, in)
	}
	// By time, outbound before inbound, then id.
	for minute := range 4 {
		for _, dir := range []string{"o", "i"} {
			for i := 2 * minute; i < min(2*minute+2, 7); i++ {
				if dir == "o" {
					want = append(want, fmt.Sprintf("out:o%d:[queued]", i))
				} else {
					want = append(want, fmt.Sprintf("in:i%d", i))
				}
			}
		}
	}
	var got []string
	f := openwaba.ConversationFilter{AccountID: a.ID, Sender: sender1, User: recipient1, Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		c, err := s.Conversation(t.Context(), f)
		wantErr(t, "Conversation", err, nil)
		if len(c.Entries) > 3 {
			t.Fatalf("page of %d entries, limit 3", len(c.Entries))
		}
		got = append(entryKinds(c.Entries), got...)
		if c.Next.Zero() {
			break
		}
		f.Before = c.Next
	}
	equal(t, "all pages", got, want)
}

func testMessageFilters(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	withSenders(t, s, a.ID)
	// recipient1 and bsuid1 are one user (linked by what they wrote).
	record(t, s, fromUser(a.ID, "wamid.f0", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0))
	msgs := []openwaba.Message{
		textMessage(recipient1, price, t0),
		templateMessage(bsuid1),
		textMessage(recipient2, price, t0),
		templateMessage(recipient2),
	}
	msgs[3].Content.Template.Name = "welcome"
	msgs[2].Sender = sender2
	var want []int64
	for _, m := range msgs {
		want = append(want, accept(t, s, a.ID, m).Messages[0].ID)
	}
	wantErr(t, "Fail", failQueued(t, s, want[3]), nil)

	tests := []struct {
		name    string
		f       openwaba.MessageFilter
		wantIDs []int64
	}{
		{"recipient by number: the BSUID too", openwaba.MessageFilter{Recipient: recipient1}, []int64{want[1], want[0]}},
		{"recipient by BSUID", openwaba.MessageFilter{Recipient: bsuid1}, []int64{want[1], want[0]}},
		{"recipient unlinked", openwaba.MessageFilter{Recipient: recipient2}, []int64{want[3], want[2]}},
		{"template", openwaba.MessageFilter{Template: "order"}, []int64{want[1]}},
		{"status", openwaba.MessageFilter{Status: openwaba.StatusFailed}, []int64{want[3]}},
		{"status queued", openwaba.MessageFilter{Status: openwaba.StatusQueued}, []int64{want[2], want[1], want[0]}},
		{"statuses", openwaba.MessageFilter{Statuses: []openwaba.Status{openwaba.StatusFailed, openwaba.StatusDelivered}}, []int64{want[3]}},
		{"statuses and recipient", openwaba.MessageFilter{Statuses: []openwaba.Status{openwaba.StatusQueued}, Recipient: recipient2}, []int64{want[2]}},
		{"sender", openwaba.MessageFilter{Sender: sender2}, []int64{want[2]}},
		{"recipient and template", openwaba.MessageFilter{Recipient: recipient2, Template: "welcome"}, []int64{want[3]}},
		{"nobody", openwaba.MessageFilter{Recipient: bsuid3}, []int64{}},
	}
	for _, tc := range tests {
		got, err := s.Messages(t.Context(), a.ID, tc.f)
		wantErr(t, tc.name, err, nil)
		equal(t, tc.name, ids(got), tc.wantIDs)
	}
}

// failQueued claims the queued message id and ends it as failed.
func failQueued(t *testing.T, s openwaba.Store, id int64) error {
	t.Helper()
	for range 10 {
		got := claim(t, s, t0.Add(time.Hour), time.Minute, 1)
		if len(got) == 0 {
			break
		}
		if got[0] == id {
			return s.Fail(t.Context(), id, openwaba.StatusFailed, 131026, "undeliverable", t0.Add(time.Hour))
		}
		wantErr(t, "Retry", s.Retry(t.Context(), got[0], t0.Add(48*time.Hour), 0, ""), nil)
	}
	t.Fatalf("message %d was not claimed", id)
	return nil
}

// testExport: both ways, by time (outbound first at the same time), only
// the account's and the range's.
func testExport(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 100*price)
	b := newAccount(t, s, "b", 100*price)
	withSenders(t, s, a.ID)
	record(t, s, fromUser(a.ID, "wamid.e0", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0))
	m := templateMessage(recipient1)
	m.CreatedAt = t0
	out := accept(t, s, a.ID, m).Messages[0]
	later := textMessage(recipient1, price, t0.Add(time.Hour))
	later.CreatedAt = t0.Add(time.Hour)
	accept(t, s, a.ID, later)
	accept(t, s, b.ID, textMessage(recipient1, price, t0))
	var got []openwaba.ExportRow
	wantErr(t, "Export", s.Export(t.Context(), a.ID, t0, t0.Add(time.Minute), func(r openwaba.ExportRow) error {
		got = append(got, r)
		return nil
	}), nil)
	in, err := s.InboundByWAMID(t.Context(), a.ID, "wamid.e0")
	wantErr(t, "InboundByWAMID", err, nil)
	equal(t, "export", got, []openwaba.ExportRow{
		{Direction: "out", ID: out.ID, At: t0, Sender: sender1, User: recipient1, Type: "template", Text: out.Text,
			Status: "queued", Price: out.Price, Label: "campaign", ForeignID: "ext-1"},
		{Direction: "in", ID: in.ID, At: t0, Sender: sender1, User: recipient1, UserID: bsuid1, Type: "text", Text: in.Text, WAMID: "wamid.e0"},
	})
	stop := errors.New("stop")
	n := 0
	err = s.Export(t.Context(), a.ID, time.Time{}, time.Time{}, func(openwaba.ExportRow) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Export with a failing fn = %v after %d rows, want its error after 1", err, n)
	}
}
