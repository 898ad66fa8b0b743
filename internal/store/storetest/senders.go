package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var senderTests = []test{
	{"PutAndGet", testSenders},
	{"PutUpdates", testPutSenderUpdates},
	{"PhoneNumberIDConflict", testSenderConflict},
	{"NumberOfAnotherAccount", testSenderOfAnotherAccount},
	{"Remove", testRemoveSender},
}

func testSenders(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	sa := openwaba.Sender{Number: sender2, AccountID: a.ID, PhoneNumberID: "111", WABAID: "w1", MPS: 80, CreatedAt: t0}
	sb := openwaba.Sender{Number: sender1, AccountID: b.ID, PhoneNumberID: "222", WABAID: "w2", CreatedAt: t0}
	wantErr(t, "PutSender", s.PutSender(t.Context(), sa), nil)
	wantErr(t, "PutSender", s.PutSender(t.Context(), sb), nil)

	got, err := s.Sender(t.Context(), a.ID, sender2)
	wantErr(t, "Sender", err, nil)
	equal(t, "Sender", got, sa)
	_, err = s.Sender(t.Context(), b.ID, sender2)
	wantErr(t, "Sender of another account", err, openwaba.ErrNotFound)
	_, err = s.Sender(t.Context(), a.ID, "4915199999999")
	wantErr(t, "Sender of an unknown number", err, openwaba.ErrNotFound)

	got, err = s.SenderByPhoneNumberID(t.Context(), "222")
	wantErr(t, "SenderByPhoneNumberID", err, nil)
	equal(t, "SenderByPhoneNumberID", got, sb)
	_, err = s.SenderByPhoneNumberID(t.Context(), "333")
	wantErr(t, "SenderByPhoneNumberID of an unknown id", err, openwaba.ErrNotFound)

	for _, tc := range []struct {
		account int64
		want    []openwaba.Sender
	}{
		{a.ID, []openwaba.Sender{sa}},
		{b.ID, []openwaba.Sender{sb}},
		{0, []openwaba.Sender{sb, sa}}, // all, by number
		{b.ID + 1000, nil},
	} {
		got, err := s.Senders(t.Context(), tc.account)
		wantErr(t, "Senders", err, nil)
		if len(got) != len(tc.want) {
			t.Errorf("Senders(%d) = %+v, want %+v", tc.account, got, tc.want)
			continue
		}
		equal(t, "Senders", got, tc.want)
	}
}

func testPutSenderUpdates(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	sd := openwaba.Sender{Number: sender1, AccountID: a.ID, PhoneNumberID: "111", WABAID: "w1", MPS: 80, CreatedAt: t0}
	wantErr(t, "PutSender", s.PutSender(t.Context(), sd), nil)
	changed := sd
	changed.MPS, changed.WABAID, changed.PhoneNumberID = 1000, "w9", "999"
	changed.CreatedAt = t0.Add(time.Hour)
	wantErr(t, "PutSender again", s.PutSender(t.Context(), changed), nil)

	got, err := s.Sender(t.Context(), a.ID, sender1)
	wantErr(t, "Sender", err, nil)
	want := changed
	want.CreatedAt = t0 // an update keeps when the sender was created
	equal(t, "updated sender", got, want)
	_, err = s.SenderByPhoneNumberID(t.Context(), "111")
	wantErr(t, "SenderByPhoneNumberID of the old id", err, openwaba.ErrNotFound)
	all, err := s.Senders(t.Context(), 0)
	wantErr(t, "Senders", err, nil)
	if len(all) != 1 {
		t.Errorf("%d senders after an update, want 1", len(all))
	}
}

func testSenderConflict(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	wantErr(t, "PutSender", s.PutSender(t.Context(),
		openwaba.Sender{Number: sender1, AccountID: a.ID, PhoneNumberID: "111", CreatedAt: t0}), nil)
	err := s.PutSender(t.Context(), openwaba.Sender{Number: sender2, AccountID: a.ID, PhoneNumberID: "111", CreatedAt: t0})
	wantErr(t, "PutSender with another number's phone number id", err, openwaba.ErrConflict)
	_, err = s.Sender(t.Context(), a.ID, sender2)
	wantErr(t, "Sender after the conflict", err, openwaba.ErrNotFound)
}

func testRemoveSender(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	wantErr(t, "PutSender", s.PutSender(t.Context(),
		openwaba.Sender{Number: sender1, AccountID: a.ID, PhoneNumberID: "111", CreatedAt: t0}), nil)
	wantErr(t, "RemoveSender", s.RemoveSender(t.Context(), sender1), nil)
	_, err := s.Sender(t.Context(), a.ID, sender1)
	wantErr(t, "Sender after removal", err, openwaba.ErrNotFound)
	_, err = s.SenderByPhoneNumberID(t.Context(), "111")
	wantErr(t, "SenderByPhoneNumberID after removal", err, openwaba.ErrNotFound)
	wantErr(t, "RemoveSender again", s.RemoveSender(t.Context(), sender1), openwaba.ErrNotFound)
	// The phone number id is free again.
	wantErr(t, "PutSender reusing the id", s.PutSender(t.Context(),
		openwaba.Sender{Number: sender2, AccountID: a.ID, PhoneNumberID: "111", CreatedAt: t0}), nil)
}

// testSenderOfAnotherAccount: a number belongs to one account. Putting it
// for another account is ErrConflict and changes nothing: the owner keeps
// it with its ids, and the other account does not see it. The owner may
// update it as before; once removed, another account may take it.
func testSenderOfAnotherAccount(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	owned := openwaba.Sender{Number: sender1, AccountID: a.ID, PhoneNumberID: "111", WABAID: "wa", MPS: 80, CreatedAt: t0}
	wantErr(t, "PutSender", s.PutSender(t.Context(), owned), nil)

	unchanged := func(step string) {
		t.Helper()
		defer func() {
			if t.Failed() {
				t.Fatalf("%s: stopped; the next steps would start from a changed state", step)
			}
		}()
		got, err := s.Sender(t.Context(), a.ID, sender1)
		if err != nil {
			t.Errorf("%s: the owner's Sender: %v", step, err)
		} else {
			equal(t, step+": the owner's sender", got, owned)
		}
		if got, err := s.SenderByPhoneNumberID(t.Context(), owned.PhoneNumberID); err != nil || got.AccountID != a.ID {
			t.Errorf("%s: SenderByPhoneNumberID(%s) = %+v, %v; want the owner's", step, owned.PhoneNumberID, got, err)
		}
		if _, err := s.Sender(t.Context(), b.ID, sender1); !errors.Is(err, openwaba.ErrNotFound) {
			t.Errorf("%s: the other account's Sender: %v, want ErrNotFound", step, err)
		}
		if got, _ := s.Senders(t.Context(), b.ID); len(got) != 0 {
			t.Errorf("%s: the other account lists %+v", step, got)
		}
		if got, _ := s.Senders(t.Context(), 0); len(got) != 1 {
			t.Errorf("%s: %d senders in all, want 1", step, len(got))
		}
	}
	for _, tc := range []struct {
		name string
		sd   openwaba.Sender
	}{
		{"with new ids", openwaba.Sender{Number: sender1, AccountID: b.ID, PhoneNumberID: "222", WABAID: "wb", MPS: 10, CreatedAt: t0.Add(time.Hour)}},
		{"with the owner's ids", openwaba.Sender{Number: sender1, AccountID: b.ID, PhoneNumberID: "111", WABAID: "wa", MPS: 80, CreatedAt: t0}},
		{"without ids", openwaba.Sender{Number: sender1, AccountID: b.ID}},
	} {
		step := "PutSender for another account " + tc.name
		if err := s.PutSender(t.Context(), tc.sd); !errors.Is(err, openwaba.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", step, err)
		}
		unchanged(step)
		if tc.sd.PhoneNumberID != owned.PhoneNumberID {
			if _, err := s.SenderByPhoneNumberID(t.Context(), tc.sd.PhoneNumberID); !errors.Is(err, openwaba.ErrNotFound) {
				t.Errorf("%s: its phone number id %s was stored (%v)", step, tc.sd.PhoneNumberID, err)
			}
		}
	}

	// The owner updates its number as before.
	owned.PhoneNumberID, owned.WABAID, owned.MPS = "333", "wa2", 1000
	update := owned
	update.CreatedAt = t0.Add(2 * time.Hour)
	wantErr(t, "PutSender by the owner", s.PutSender(t.Context(), update), nil)
	unchanged("after the owner's update")

	// Removed, the number is free for another account.
	wantErr(t, "RemoveSender", s.RemoveSender(t.Context(), sender1), nil)
	taken := openwaba.Sender{Number: sender1, AccountID: b.ID, PhoneNumberID: "444", WABAID: "wb", CreatedAt: t0.Add(3 * time.Hour)}
	wantErr(t, "PutSender for another account after removal", s.PutSender(t.Context(), taken), nil)
	got, err := s.Sender(t.Context(), b.ID, sender1)
	wantErr(t, "Sender of the new owner", err, nil)
	equal(t, "the new owner's sender", got, taken)
}
