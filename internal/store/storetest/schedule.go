package storetest

import (
	"testing"

	"github.com/openwaba/openwaba"

	_ "time/tzdata" // zone names must resolve on hosts without zoneinfo
)

// scheduleTests cover what scheduled sending needs from an account.
var scheduleTests = []test{
	{"AccountTimeZone", testAccountTimeZone},
}

func testAccountTimeZone(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "acme", 0)
	if a.TimeZone != "" {
		t.Errorf("new account's time zone %q, want empty (UTC)", a.TimeZone)
	}
	steps := []struct {
		name, zone string
		wantErr    bool
		want       string // the zone stored afterwards
	}{
		{"set", "Europe/Berlin", false, "Europe/Berlin"},
		{"change", "America/New_York", false, "America/New_York"},
		{"unknown zone is refused", "Mars/Olympus_Mons", true, "America/New_York"},
		{"back to UTC", "", false, ""},
		{"explicit UTC", "UTC", false, "UTC"},
	}
	for _, st := range steps {
		err := s.SetAccountTimeZone(t.Context(), a.ID, st.zone)
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: SetAccountTimeZone(%q) = %v, want error %v", st.name, st.zone, err, st.wantErr)
		}
		got, err := s.Account(t.Context(), a.ID)
		wantErr(t, "Account", err, nil)
		if got.TimeZone != st.want {
			t.Errorf("%s: time zone %q, want %q", st.name, got.TimeZone, st.want)
		}
		if _, err := got.Location(); err != nil {
			t.Errorf("%s: stored zone does not load: %v", st.name, err)
		}
	}
	wantErr(t, "SetAccountTimeZone of an unknown account",
		s.SetAccountTimeZone(t.Context(), a.ID+1000, "Europe/Berlin"), openwaba.ErrNotFound)

	b, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "bolt", CreatedAt: t0, TimeZone: "Asia/Tokyo"})
	wantErr(t, "CreateAccount with a time zone", err, nil)
	got, err := s.Account(t.Context(), b.ID)
	wantErr(t, "Account", err, nil)
	equal(t, "account created with a time zone", got, b)
	if _, err := s.CreateAccount(t.Context(), openwaba.Account{Name: "x", CreatedAt: t0, TimeZone: "Nowhere/Land"}); err == nil {
		t.Error("CreateAccount accepted an unknown time zone")
	}
}
