package phone

import (
	"errors"
	"strings"
	"testing"
)

// FuzzNormalize: Normalize never panics; it refuses with ErrInvalid, or
// returns 7 to 15 ASCII digits without a leading zero that normalise to
// themselves, and that ValidPrefix and CountryCode accept.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"4917612345678", "+49 176 1234-5678", "004917612345678", "+1 555 010 0001", "", "hello", "0176 12345678",
		"+0049176", "00+49176", "+4917612345678\x00", "４９１７６１２３４５６７８", "49176123456789012345", "+", "00", "1(555)0100001", "49 176 1234 5678 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Normalize(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Normalize(%q): %v is not ErrInvalid", s, err)
			}
			return
		}
		if len(n) < 7 || len(n) > 15 || strings.Trim(n, "0123456789") != "" || n[0] == '0' {
			t.Fatalf("Normalize(%q) = %q, not 7 to 15 digits", s, n)
		}
		for _, form := range []string{n, "+" + n, "00" + n} {
			if again, err := Normalize(form); err != nil || again != n {
				t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", s, n, form, again, err)
			}
		}
		if CountryCode(n) == 0 || !ValidPrefix(n) {
			t.Fatalf("Normalize(%q) = %q, which has no calling code (CountryCode %d, ValidPrefix %v)", s, n, CountryCode(n), ValidPrefix(n))
		}
	})
}
