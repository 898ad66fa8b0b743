package openwaba

import (
	"fmt"
	"math"
	"strconv"
)

// Micros is an amount of money in millionths of the account's currency.
// Prices such as 0.0735 need four decimals; integers keep the ledger exact.
type Micros int64

// MicrosPerUnit is the number of Micros in one currency unit.
const MicrosPerUnit = 1_000_000

// Float returns the amount in currency units, for JSON responses.
func (m Micros) Float() float64 { return float64(m) / MicrosPerUnit }

// String formats the amount with up to six decimals, trailing zeros removed.
func (m Micros) String() string {
	return strconv.FormatFloat(m.Float(), 'f', -1, 64)
}

// ParseMicros reads a decimal amount such as "100" or "0.0735".
func ParseMicros(s string) (Micros, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid amount %q", s)
	}
	return Micros(math.Round(f * MicrosPerUnit)), nil
}
