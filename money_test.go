package openwaba_test

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

func TestParseMicros(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want openwaba.Micros
	}{
		{"0", 0},
		{"10", 10_000_000},
		{"+10", 10_000_000},
		{"-2.5", -2_500_000},
		{"0.0735", 73_500},
		{"0.000001", 1},
		{"007", 7_000_000},
		{"1000000000", openwaba.MaxAmount},
		{"-1000000000", -openwaba.MaxAmount},
		{"1000000000.000000", openwaba.MaxAmount},
		{"999999999.999999", openwaba.MaxAmount - 1},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := openwaba.ParseMicros(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseMicros(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestParseMicrosRefuses holds the inputs the float parser used to take:
// 1e13 booked math.MinInt64 (a balance of -9.2 trillion), 1_000 was 1000.
func TestParseMicrosRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, why string }{
		{"1e13", "decimal digits"},
		{"1E3", "decimal digits"},
		{"1_000", "decimal digits"},
		{"1,000", "decimal digits"},
		{"1000000000.000001", "at most 1000000000"},
		{"1000000001", "at most 1000000000"},
		{"-1000000001", "at most 1000000000"},
		{"99999999999999999999999", "at most 1000000000"},
		{"0.0000001", "at most 6 decimals"},
		{"", "decimal digits"},
		{"-", "decimal digits"},
		{".5", "decimal digits"},
		{"5.", "decimal digits"},
		{" 5", "decimal digits"},
		{"5 ", "decimal digits"},
		{"NaN", "decimal digits"},
		{"Inf", "decimal digits"},
		{"-Infinity", "decimal digits"},
		{"0x10", "decimal digits"},
		{"+-1", "decimal digits"},
		{"1.2.3", "decimal digits"},
		{"١٢", "decimal digits"}, // Arabic-Indic digits are not ASCII digits
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := openwaba.ParseMicros(tc.in)
			if err == nil {
				t.Fatalf("ParseMicros(%q) = %d, want an error", tc.in, got)
			}
			if !errors.Is(err, openwaba.ErrAmount) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("ParseMicros(%q): %v; want ErrAmount saying %q", tc.in, err, tc.why)
			}
		})
	}
}

func TestMicrosString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    openwaba.Micros
		want string
	}{
		{0, "0"},
		{73_500, "0.0735"},
		{-73_500, "-0.0735"},
		{10_000_000, "10"},
		{1, "0.000001"},
		// Beyond a float64's 16 digits: the old float formatting said
		// 9999999999.999998.
		{9_999_999_999_999_999, "9999999999.999999"},
		{math.MinInt64, "-9223372036854.775808"},
		{math.MaxInt64, "9223372036854.775807"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			if got := tc.m.String(); got != tc.want {
				t.Fatalf("Micros(%d).String() = %q, want %q", tc.m, got, tc.want)
			}
		})
	}
}

// amountSyntax is what ParseMicros accepts, as a regular expression: the
// fuzz target's independent oracle.
var amountSyntax = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]{1,6})?$`)

// FuzzParseMicros checks that ParseMicros never panics, accepts exactly
// the documented syntax within the documented maximum, and that what it
// accepts prints back to an amount that parses to the same value.
func FuzzParseMicros(f *testing.F) {
	for _, s := range []string{"0", "10", "-2.5", "0.0735", "1e13", "1_000", "NaN", "Inf", "1000000000", "1000000000.000001",
		"9223372036854.775807", "-0", "+0.000001", "0.0000001", "00000000000000000001", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := openwaba.ParseMicros(s)
		if err != nil {
			if !errors.Is(err, openwaba.ErrAmount) {
				t.Fatalf("ParseMicros(%q): error %v does not wrap ErrAmount", s, err)
			}
			if amountSyntax.MatchString(s) && !strings.Contains(err.Error(), "at most") {
				t.Fatalf("ParseMicros(%q) refused well-formed input: %v", s, err)
			}
			return
		}
		if !amountSyntax.MatchString(s) {
			t.Fatalf("ParseMicros(%q) = %d, but the input is not of the documented syntax", s, m)
		}
		if m > openwaba.MaxAmount || m < -openwaba.MaxAmount {
			t.Fatalf("ParseMicros(%q) = %d, beyond MaxAmount", s, m)
		}
		back, err := openwaba.ParseMicros(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMicros(%q) = %d, printed %q, which parses to %d, %v", s, m, m.String(), back, err)
		}
	})
}
