package phone

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      bool
	}{
		{in: "4917612345678", want: "4917612345678"},
		{in: "+49 176 1234-5678", want: "4917612345678"},
		{in: "004917612345678", want: "4917612345678"},
		{in: "4915112345678", want: "4915112345678"},
		{in: "+1 555 010 0001", want: "15550100001"}, // Meta test numbers are possible, not valid
		{in: "", err: true},
		{in: "hello", err: true},
		{in: "49", err: true},
		{in: "0176 12345678", err: true}, // national format: no country
		{in: "4917612345678901234", err: true},
		{in: "+49abc12345678", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := Normalize(tc.in)
			if tc.err {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Normalize(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCountryCode(t *testing.T) {
	t.Parallel()
	if got := CountryCode("4917612345678"); got != 49 {
		t.Fatalf("CountryCode = %d, want 49", got)
	}
	if got := CountryCode("15550100001"); got != 1 {
		t.Fatalf("CountryCode = %d, want 1", got)
	}
}

func TestValidPrefix(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{"": true, "49": true, "1": true, "1242": true, "4915": true, "0": false, "x49": false, "999": false, "+49": false} {
		if got := ValidPrefix(p); got != want {
			t.Errorf("ValidPrefix(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestRegionAndCallingCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ number, region, code string }{
		{"4917612345678", "DE", "49"},
		{"12025550123", "US", "1"},
		{"447700900123", "GB", "44"},
		{"15550100001", "US", "1"}, // Meta's test numbers: the calling code's main region
		{"99912345678", "", ""},
	}
	for _, tt := range tests {
		if got := Region(tt.number); got != tt.region {
			t.Errorf("Region(%s) = %q, want %q", tt.number, got, tt.region)
		}
		if tt.region != "" {
			if got := CallingCode(tt.region); got != tt.code {
				t.Errorf("CallingCode(%s) = %q, want %q", tt.region, got, tt.code)
			}
		}
	}
	for _, r := range []string{"", "XX", "ZZ"} {
		if got := CallingCode(r); got != "" {
			t.Errorf("CallingCode(%q) = %q, want none", r, got)
		}
	}
	if got := CallingCode("de"); got != "49" {
		t.Errorf(`CallingCode("de") = %q, want 49`, got)
	}
}

// TestMemo: the memo answers as the function it remembers, asks it once
// per number while it has room, and stays within its size.
func TestMemo(t *testing.T) {
	t.Parallel()
	asked := map[string]int{}
	m := memo{size: 3, answer: func(s string) bool { asked[s]++; return isPossible(s) }}
	numbers := []string{"4917612345678", "15550100001", "4912", "4917612345678", "15550100001", "4912", "3912345678", "4917612345678"}
	for _, n := range numbers {
		if got, want := m.get(n), isPossible(n); got != want {
			t.Errorf("memo says %q possible: %v; libphonenumber: %v", n, got, want)
		}
		if len(m.answers) > m.size {
			t.Fatalf("memo holds %d answers, more than its size %d", len(m.answers), m.size)
		}
	}
	if asked["15550100001"] != 1 || asked["4912"] != 1 {
		t.Errorf("asked %v; want each of the first three once while the memo had room", asked)
	}
	if asked["4917612345678"] != 2 {
		t.Errorf("asked for 4917612345678 %d times; want twice (again after the memo was full and started anew)", asked["4917612345678"])
	}
}
