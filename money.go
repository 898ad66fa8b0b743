package openwaba

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Micros is an amount of money in millionths of the account's currency.
// Prices such as 0.0735 need four decimals; integers keep the ledger exact.
type Micros int64

// MicrosPerUnit is the number of Micros in one currency unit.
const MicrosPerUnit = 1_000_000

// MaxAmountUnits bounds every amount an operator types (a top-up, a
// starting balance, a price): one billion currency units. No real top-up
// or price comes near it, a typo such as 1e13 or an extra row of zeros is
// refused, and sums of many such amounts stay far from the int64 limit
// (9.2 trillion units) where a balance would wrap around.
const MaxAmountUnits = 1_000_000_000

// MaxAmount is MaxAmountUnits in Micros.
const MaxAmount Micros = MaxAmountUnits * MicrosPerUnit

// maxFractionDigits is the precision of Micros: six decimals.
const maxFractionDigits = 6

// ErrAmount is wrapped by every error of ParseMicros.
var ErrAmount = errors.New("is not an amount of money")

// Float returns the amount in currency units, for JSON responses.
func (m Micros) Float() float64 { return float64(m) / MicrosPerUnit }

// String formats the amount with up to six decimals, trailing zeros
// removed. It works on the integer, not on Float: a float64 has about 16
// significant digits, so a balance of ten billion units with six decimals
// would not come out exactly.
func (m Micros) String() string {
	neg := m < 0
	// uint64 holds the magnitude of every int64, MinInt64's included.
	u := uint64(m)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/MicrosPerUnit, 10)
	if frac := u % MicrosPerUnit; frac != 0 {
		f := strconv.FormatUint(frac+MicrosPerUnit, 10)[1:] // six digits, leading zeros kept
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseMicros reads an amount of money strictly: an optional sign, decimal
// digits, and optionally a point and at most six more digits ("100",
// "-2.5", "0.0735"), of at most MaxAmountUnits. Anything else is refused
// rather than guessed at: no exponent ("1e3"), no digit separators
// ("1_000", "1,000"), no spaces, no "Inf" or "NaN", no seventh decimal
// (a micro is the ledger's smallest unit; rounding would book something
// other than what was typed). The API, the CLI and the price table all
// read amounts with this one function.
func ParseMicros(s string) (Micros, error) {
	digits := s
	neg := false
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	whole, frac, hasPoint := strings.Cut(digits, ".")
	switch {
	case whole == "" || !allDigits(whole) || (hasPoint && (frac == "" || !allDigits(frac))):
		return 0, fmt.Errorf("%q %w: write decimal digits with an optional sign and point, such as 10, -2.5 or 0.0735 (no exponent, digit separators or spaces)", s, ErrAmount)
	case len(frac) > maxFractionDigits:
		return 0, fmt.Errorf("%q %w: at most %d decimals", s, ErrAmount, maxFractionDigits)
	}
	whole = strings.TrimLeft(whole, "0")
	// Compare digit strings before converting: no overflow is possible.
	if len(whole) > len(strconv.Itoa(MaxAmountUnits)) {
		return 0, errTooLarge(s)
	}
	units, _ := strconv.ParseInt("0"+whole, 10, 64)
	micros, _ := strconv.ParseInt((frac + "000000")[:maxFractionDigits], 10, 64)
	m := Micros(units*MicrosPerUnit + micros)
	if m > MaxAmount {
		return 0, errTooLarge(s)
	}
	if neg {
		m = -m
	}
	return m, nil
}

func errTooLarge(s string) error {
	return fmt.Errorf("%q %w: at most %d in absolute value", s, ErrAmount, MaxAmountUnits)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
