package storetest

import (
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// Users whose number Meta withholds are known by their business-scoped
// user ID (BSUID): their windows, messages and webhook order are theirs,
// not shared under an empty number, and the ids of one user are linked
// when they are seen together, within one WABA only.
var userTests = []test{
	{"UsernameUsersApart", testUsernameUsersApart},
	{"LinkNumberAndBSUID", testLinkNumberAndBSUID},
	{"NeverAcrossWABAs", testUsersNeverAcrossWABAs},
	{"ChangeUserID", testChangeUserID},
	{"StatusNamesRecipient", testStatusNamesRecipient},
	{"ConversationOrder", testUserConversationOrder},
}

const (
	bsuid1 = "DE.1350000000000000001"
	bsuid2 = "DE.1350000000000000002"
	bsuid3 = "DE.1350000000000000003"
	waba1  = "2000000000000001"
	waba2  = "2000000000000002"
)

// fromUser is a text message from u to sender1 at sent.
func fromUser(accountID int64, wamid string, u openwaba.User, sent time.Time) openwaba.InboundMessage {
	m := inbound(accountID, wamid, "", sent, "hi "+wamid)
	m.User = u
	return m
}

// withSenders registers sender1 (in waba1) and sender2 (in waba2) for the
// account.
func withSenders(t *testing.T, s openwaba.Store, accountID int64) {
	t.Helper()
	for _, sd := range []openwaba.Sender{
		{Number: sender1, AccountID: accountID, WABAID: waba1},
		{Number: sender2, AccountID: accountID, WABAID: waba2},
	} {
		wantErr(t, "PutSender", s.PutSender(t.Context(), sd), nil)
	}
}

func windowOf(t *testing.T, s openwaba.Store, sender, user string) time.Time {
	t.Helper()
	until, err := s.WindowOpenUntil(t.Context(), sender, user)
	wantErr(t, "WindowOpenUntil", err, nil)
	return until
}

func testUsernameUsersApart(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	withSenders(t, s, a.ID)
	record(t, s, fromUser(a.ID, "wamid.u1", openwaba.User{UserID: bsuid1, Username: "anna"}, t0))
	record(t, s, fromUser(a.ID, "wamid.u2", openwaba.User{UserID: bsuid2, Username: "bob"}, t0.Add(time.Hour)))

	for _, tt := range []struct {
		user string
		want time.Time
	}{
		{bsuid1, t0.Add(openwaba.ConversationWindow)},
		{bsuid2, t0.Add(time.Hour + openwaba.ConversationWindow)},
		{"", time.Time{}}, // nobody's window is kept under the empty id
		{bsuid3, time.Time{}},
	} {
		if got := windowOf(t, s, sender1, tt.user); !got.Equal(tt.want) {
			t.Errorf("window of %q until %v, want %v", tt.user, got, tt.want)
		}
	}
	got, err := s.InboundByWAMID(t.Context(), a.ID, "wamid.u1")
	wantErr(t, "InboundByWAMID", err, nil)
	if got.From != bsuid1 || got.User != (openwaba.User{UserID: bsuid1, Username: "anna"}) {
		t.Errorf("stored from %q, user %+v; want the BSUID and the username", got.From, got.User)
	}
	last, err := s.LastInbound(t.Context(), a.ID, sender1, bsuid2)
	wantErr(t, "LastInbound", err, nil)
	if last.WAMID != "wamid.u2" {
		t.Errorf("LastInbound of %s = %s, want wamid.u2", bsuid2, last.WAMID)
	}
	_, err = s.LastInbound(t.Context(), a.ID, sender1, "")
	wantErr(t, `LastInbound of ""`, err, openwaba.ErrNotFound)
	u, err := s.User(t.Context(), a.ID, sender1, bsuid1)
	wantErr(t, "User", err, nil)
	equal(t, "User", u, openwaba.User{UserID: bsuid1, Username: "anna"})
}

func testLinkNumberAndBSUID(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	withSenders(t, s, a.ID)
	// Before the number is known the user writes by username.
	record(t, s, fromUser(a.ID, "wamid.1", openwaba.User{UserID: bsuid1, Username: "anna"}, t0.Add(2*time.Hour)))
	// Then Meta sends number and BSUID together (a late webhook of an
	// older message): from now on they are one user.
	record(t, s, fromUser(a.ID, "wamid.2", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0))
	want := openwaba.User{WaID: recipient1, UserID: bsuid1, Username: "anna"}
	for _, id := range []string{recipient1, bsuid1} {
		u, err := s.User(t.Context(), a.ID, sender1, id)
		wantErr(t, "User "+id, err, nil)
		equal(t, "User "+id, u, want)
		// The window is the user's, whichever id a send names: the later
		// message's, not shortened by the late one.
		if got, w := windowOf(t, s, sender1, id), t0.Add(2*time.Hour+openwaba.ConversationWindow); !got.Equal(w) {
			t.Errorf("window of %s until %v, want %v", id, got, w)
		}
	}
	// A message by BSUID alone is kept under the number now.
	record(t, s, fromUser(a.ID, "wamid.3", openwaba.User{UserID: bsuid1}, t0.Add(3*time.Hour)))
	got, err := s.InboundByWAMID(t.Context(), a.ID, "wamid.3")
	wantErr(t, "InboundByWAMID", err, nil)
	if got.From != recipient1 || got.User != want {
		t.Errorf("stored from %q, user %+v; want %s, %+v", got.From, got.User, recipient1, want)
	}
	for _, id := range []string{recipient1, bsuid1} {
		last, err := s.LastInbound(t.Context(), a.ID, sender1, id)
		wantErr(t, "LastInbound "+id, err, nil)
		if last.WAMID != "wamid.3" {
			t.Errorf("LastInbound(%s) = %s, want wamid.3", id, last.WAMID)
		}
	}
	_, err = s.User(t.Context(), a.ID, sender1, bsuid2)
	wantErr(t, "User of an unknown BSUID", err, openwaba.ErrNotFound)
}

func testUsersNeverAcrossWABAs(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	withSenders(t, s, a.ID)
	record(t, s, fromUser(a.ID, "wamid.1", openwaba.User{WaID: recipient1, UserID: bsuid1}, t0))
	// sender2 is of another WABA: the BSUID of sender1's portfolio means
	// nothing there, and its windows are its own.
	_, err := s.User(t.Context(), a.ID, sender2, bsuid1)
	wantErr(t, "User in another WABA", err, openwaba.ErrNotFound)
	_, err = s.User(t.Context(), b.ID, sender1, bsuid1)
	wantErr(t, "User of another account", err, openwaba.ErrNotFound)
	if got := windowOf(t, s, sender2, bsuid1); !got.IsZero() {
		t.Errorf("window of another WABA's number until %v", got)
	}
	// The same BSUID seen in the other WABA with another number stays
	// apart from the first.
	record(t, s, openwaba.InboundMessage{AccountID: a.ID, Sender: sender2, WAMID: "wamid.2", Type: "text",
		User: openwaba.User{WaID: recipient2, UserID: bsuid1}, SentAt: t0})
	u, err := s.User(t.Context(), a.ID, sender1, bsuid1)
	wantErr(t, "User", err, nil)
	if u.WaID != recipient1 {
		t.Errorf("in waba1 %s is %s now, want %s: linked across WABAs", bsuid1, u.WaID, recipient1)
	}
}

func testChangeUserID(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	withSenders(t, s, a.ID)
	record(t, s, fromUser(a.ID, "wamid.1", openwaba.User{UserID: bsuid1, Username: "anna"}, t0))
	before := windowOf(t, s, sender1, bsuid1)

	wantErr(t, "ChangeUserID", s.ChangeUserID(t.Context(), a.ID, sender1, openwaba.UserIDChange{
		Previous: bsuid1, Current: bsuid2, At: t0.Add(time.Minute),
	}), nil)
	u, err := s.User(t.Context(), a.ID, sender1, bsuid2)
	wantErr(t, "User by the new BSUID", err, nil)
	equal(t, "User", u, openwaba.User{UserID: bsuid2, Username: "anna"})
	_, err = s.User(t.Context(), a.ID, sender1, bsuid1)
	wantErr(t, "User by the old BSUID", err, openwaba.ErrNotFound)
	if got := windowOf(t, s, sender1, bsuid2); !got.Equal(before) {
		t.Errorf("window under the new BSUID until %v, want the old one's %v", got, before)
	}
	// A later message by the new BSUID is the same conversation.
	record(t, s, fromUser(a.ID, "wamid.2", openwaba.User{UserID: bsuid2}, t0.Add(time.Hour)))
	last, err := s.LastInbound(t.Context(), a.ID, sender1, bsuid2)
	wantErr(t, "LastInbound", err, nil)
	if last.WAMID != "wamid.2" || last.User.Username != "anna" {
		t.Errorf("LastInbound = %s as %+v, want wamid.2 from anna", last.WAMID, last.User)
	}
	if err := s.ChangeUserID(t.Context(), a.ID, sender1, openwaba.UserIDChange{Previous: bsuid2, Current: "4917600000009"}); err == nil {
		t.Error("ChangeUserID to a phone number succeeded")
	}
}

func testStatusNamesRecipient(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 10*price)
	withSenders(t, s, a.ID)
	res := accept(t, s, a.ID, textMessage(recipient1, price, t0), textMessage(bsuid2, price, t0))
	toPhone, toBSUID := res.Messages[0], res.Messages[1]
	claim(t, s, t0, time.Minute, 10)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), toPhone.ID, "wamid.p", t0), nil)
	// A report can come before the wamid is stored: what it says of the
	// recipient waits with it.
	_, err := s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.b", Status: openwaba.StatusDelivered, At: t0.Add(time.Second),
		User: openwaba.User{UserID: bsuid2, Username: "bob"}})
	wantErr(t, "ApplyStatus (early)", err, nil)
	wantErr(t, "MarkSubmitted", s.MarkSubmitted(t.Context(), toBSUID.ID, "wamid.b", t0), nil)
	_, err = s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.p", Status: openwaba.StatusSent, At: t0,
		Recipient: recipient1, User: openwaba.User{WaID: recipient1, UserID: bsuid1}})
	wantErr(t, "ApplyStatus", err, nil)
	_, err = s.ApplyStatus(t.Context(), openwaba.StatusUpdate{WAMID: "wamid.p", Status: openwaba.StatusDelivered, At: t0.Add(time.Second),
		User: openwaba.User{UserID: bsuid1, Username: "anna"}})
	wantErr(t, "ApplyStatus", err, nil)

	for _, tt := range []struct {
		id   int64
		want openwaba.User
	}{
		{toPhone.ID, openwaba.User{WaID: recipient1, UserID: bsuid1, Username: "anna"}},
		{toBSUID.ID, openwaba.User{UserID: bsuid2, Username: "bob"}},
	} {
		if got := message(t, s, a.ID, tt.id).User; got != tt.want {
			t.Errorf("message %d: recipient %+v, want %+v", tt.id, got, tt.want)
		}
	}
	// The report linked the number the message went to with the BSUID.
	u, err := s.User(t.Context(), a.ID, sender1, recipient1)
	wantErr(t, "User", err, nil)
	equal(t, "User", u, openwaba.User{WaID: recipient1, UserID: bsuid1, Username: "anna"})
}

func testUserConversationOrder(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	withSenders(t, s, a.ID)
	newHook(t, s, a.ID, openwaba.HookWAMO, "")
	// Two username users: two conversations, delivered side by side; two
	// messages of one: one after the other.
	record(t, s, fromUser(a.ID, "wamid.a1", openwaba.User{UserID: bsuid1}, t0))
	record(t, s, fromUser(a.ID, "wamid.a2", openwaba.User{UserID: bsuid1}, t0.Add(time.Second)))
	record(t, s, fromUser(a.ID, "wamid.b1", openwaba.User{UserID: bsuid2}, t0))
	ds := claimAll(t, s, t0.Add(time.Minute))
	if len(ds) != 2 {
		t.Fatalf("%d deliveries claimable, want 2 (the first of each user's conversation)", len(ds))
	}
	got := map[string]bool{}
	for _, d := range ds {
		in, err := s.InboundByID(t.Context(), a.ID, d.InboundID)
		wantErr(t, "InboundByID", err, nil)
		got[in.WAMID] = true
	}
	if !got["wamid.a1"] || !got["wamid.b1"] {
		t.Errorf("claimed %v, want wamid.a1 and wamid.b1", got)
	}
}
