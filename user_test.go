package openwaba_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

func TestIsBSUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in            string
		bsuid, parent bool
		country       string
	}{
		{"US.13491208655302741918", true, false, "US"},
		{"BR.1502576394655843", true, false, "BR"},
		{"US.ENT.11815799212886844830", true, true, "US"},
		{"DE.abcXYZ09", true, false, "DE"},
		{"DE." + strings.Repeat("a", 128), true, false, "DE"},
		{"DE." + strings.Repeat("a", 129), false, false, ""},
		{"4917612345678", false, false, ""},
		{"+4917612345678", false, false, ""},
		{"us.1349", false, false, ""},  // the country code is upper case
		{"USA.1349", false, false, ""}, // two letters
		{"US.", false, false, ""},
		{"US.13-49", false, false, ""},
		{"US.ENT.", false, false, ""},
		{"", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := openwaba.IsBSUID(tt.in); got != tt.bsuid {
				t.Errorf("IsBSUID = %v, want %v", got, tt.bsuid)
			}
			if got := openwaba.IsParentBSUID(tt.in); got != tt.parent {
				t.Errorf("IsParentBSUID = %v, want %v", got, tt.parent)
			}
			if got := openwaba.BSUIDCountry(tt.in); got != tt.country {
				t.Errorf("BSUIDCountry = %q, want %q", got, tt.country)
			}
		})
	}
}

func TestUserKeyAndOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		u    openwaba.User
		key  string
		ids  []string
	}{
		{"phone and BSUID: the phone", openwaba.User{WaID: "4917612345678", UserID: "DE.1"}, "4917612345678", []string{"4917612345678", "DE.1"}},
		{"username user: the BSUID", openwaba.User{UserID: "DE.1", Username: "anna"}, "DE.1", []string{"DE.1"}},
		{"parent only", openwaba.User{ParentUserID: "DE.ENT.1"}, "DE.ENT.1", []string{"DE.ENT.1"}},
		{"all three", openwaba.User{WaID: "1", UserID: "DE.1", ParentUserID: "DE.ENT.1"}, "1", []string{"1", "DE.1", "DE.ENT.1"}},
		{"nothing", openwaba.User{}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.u.Key(); got != tt.key {
				t.Errorf("Key = %q, want %q", got, tt.key)
			}
			if got := tt.u.IDs(); !reflect.DeepEqual(got, tt.ids) {
				t.Errorf("IDs = %v, want %v", got, tt.ids)
			}
			for _, id := range tt.ids {
				if !tt.u.Has(id) {
					t.Errorf("Has(%q) = false", id)
				}
			}
			if tt.u.Has("") {
				t.Error(`Has("") = true`)
			}
		})
	}
	for in, want := range map[string]openwaba.User{
		"4917612345678": {WaID: "4917612345678"},
		"DE.1349":       {UserID: "DE.1349"},
		"DE.ENT.1349":   {ParentUserID: "DE.ENT.1349"},
	} {
		if got := openwaba.UserOf(in); got != want {
			t.Errorf("UserOf(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestLinkUser(t *testing.T) {
	t.Parallel()
	const phone, other = "4917612345678", "4917699999999"
	tests := []struct {
		name       string
		stored     []openwaba.User
		seen       openwaba.User
		want       openwaba.User
		wantOthers []openwaba.User
	}{
		{
			name: "first sight",
			seen: openwaba.User{UserID: "DE.1", Username: "anna"},
			want: openwaba.User{UserID: "DE.1", Username: "anna"},
		},
		{
			name:   "the number comes with a known BSUID: linked",
			stored: []openwaba.User{{UserID: "DE.1", Username: "anna"}},
			seen:   openwaba.User{WaID: phone, UserID: "DE.1"},
			want:   openwaba.User{WaID: phone, UserID: "DE.1", Username: "anna"},
		},
		{
			name:   "a BSUID-only message of a linked user keeps the number",
			stored: []openwaba.User{{WaID: phone, UserID: "DE.1"}},
			seen:   openwaba.User{UserID: "DE.1", Username: "anna"},
			want:   openwaba.User{WaID: phone, UserID: "DE.1", Username: "anna"},
		},
		{
			name:   "a number and a BSUID known apart become one",
			stored: []openwaba.User{{WaID: phone}, {UserID: "DE.1", ParentUserID: "DE.ENT.1", Username: "anna"}},
			seen:   openwaba.User{WaID: phone, UserID: "DE.1"},
			want:   openwaba.User{WaID: phone, UserID: "DE.1", ParentUserID: "DE.ENT.1", Username: "anna"},
		},
		{
			name:   "a new username replaces the old",
			stored: []openwaba.User{{UserID: "DE.1", Username: "anna"}},
			seen:   openwaba.User{UserID: "DE.1", Username: "anna.b"},
			want:   openwaba.User{UserID: "DE.1", Username: "anna.b"},
		},
		{
			name:       "the number now comes with another BSUID: the old identity loses it",
			stored:     []openwaba.User{{WaID: phone, UserID: "DE.1", Username: "anna"}},
			seen:       openwaba.User{WaID: phone, UserID: "DE.2"},
			want:       openwaba.User{WaID: phone, UserID: "DE.2"},
			wantOthers: []openwaba.User{{UserID: "DE.1", Username: "anna"}},
		},
		{
			name:       "the number moves to the BSUID it now comes with",
			stored:     []openwaba.User{{WaID: phone, UserID: "DE.1"}, {UserID: "DE.2", Username: "bob"}},
			seen:       openwaba.User{WaID: phone, UserID: "DE.2"},
			want:       openwaba.User{WaID: phone, UserID: "DE.2", Username: "bob"},
			wantOthers: []openwaba.User{{UserID: "DE.1"}},
		},
		{
			name:   "another number is another user",
			stored: nil,
			seen:   openwaba.User{WaID: other},
			want:   openwaba.User{WaID: other},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, others := openwaba.LinkUser(tt.stored, tt.seen)
			if got != tt.want {
				t.Errorf("LinkUser = %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(others, tt.wantOthers) {
				t.Errorf("others = %+v, want %+v", others, tt.wantOthers)
			}
		})
	}
}

func TestUserTells(t *testing.T) {
	t.Parallel()
	known := openwaba.User{WaID: "4917612345678", UserID: "DE.1234", Username: "anna"}
	tests := []struct {
		name string
		seen openwaba.User
		want bool
	}{
		{"the number only", openwaba.User{WaID: "4917612345678"}, false},
		{"all the same", known, false},
		{"nothing", openwaba.User{}, false},
		{"a BSUID for the first time", openwaba.User{WaID: "4917612345678", UserID: "DE.9999"}, true},
		{"a parent BSUID", openwaba.User{ParentUserID: "DE.ENT.1"}, true},
		{"a new username", openwaba.User{UserID: "DE.1234", Username: "anna_b"}, true},
		{"another number", openwaba.User{WaID: "4917600000000"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := known.Tells(tc.seen); got != tc.want {
				t.Errorf("Tells(%+v) = %v, want %v", tc.seen, got, tc.want)
			}
		})
	}
}
