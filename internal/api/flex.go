package api

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// seven's clients send scalars loosely: form bodies carry only strings, and
// JSON clients write booleans as true, 1 or "1" and numbers as strings. These
// types accept every such spelling. They never fail to decode: a value of
// the wrong kind sets Invalid, so that validation can report it with the
// field's name and rule instead of a decoder message.

// flexString accepts a JSON string or number.
type flexString struct {
	Set     bool
	Invalid bool
	Value   string
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f.Set = true
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &f.Value)
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		f.Invalid = true
		return nil
	}
	f.Value = n.String()
	return nil
}

// flexBool accepts true/false, 1/0, "1"/"0", "true"/"false".
type flexBool struct {
	Set     bool
	Invalid bool
	Value   bool
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f.Set = true
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true", "1":
		f.Value = true
	case "false", "0", "":
		f.Value = false
	default:
		f.Invalid = true
	}
	return nil
}

// flexFloat accepts a JSON number or a numeric string. Only finite
// decimal numbers are numbers here: strconv.ParseFloat also reads "NaN",
// "Inf", "0x1p4" and "1_0", and returns ±Inf for "1e400"; a NaN compares
// false with every bound, so it would pass a range check and fail only
// when the message is encoded for WhatsApp.
type flexFloat struct {
	Set     bool
	Invalid bool
	Value   float64
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f.Set = true
	v, ok := parseDecimal(strings.TrimSpace(strings.Trim(string(b), `"`)))
	if !ok {
		f.Invalid = true
		return nil
	}
	f.Value = v
	return nil
}

// decimalNumber is JSON's number syntax, with a leading + and a bare
// leading or trailing point allowed as forms write them.
var decimalNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// parseDecimal reads a finite decimal number.
func parseDecimal(s string) (float64, bool) {
	if !decimalNumber.MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// flexInt accepts a JSON integer or an integer string.
type flexInt struct {
	Set     bool
	Invalid bool
	Value   int64
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f.Set = true
	v, err := strconv.ParseInt(strings.TrimSpace(strings.Trim(string(b), `"`)), 10, 64)
	if err != nil {
		f.Invalid = true
		return nil
	}
	f.Value = v
	return nil
}
