// Package phone normalises phone numbers to the digits-only international
// form WhatsApp uses (4917612345678).
package phone

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned for strings that are not a possible international
// phone number.
var ErrInvalid = errors.New("must be a phone number in international format, e.g. 4917612345678")

// Normalize accepts "+49 176 1234-5678", "004917612345678" or
// "4917612345678" and returns "4917612345678".
//
// It checks that the number is possible for its country (length and
// calling code), not that it is assigned: Meta's own test numbers
// (+1 555 ...) are not valid numbers in libphonenumber's sense, and a
// gateway must not refuse a range its metadata does not know yet.
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '/':
			return -1
		}
		return r
	}, s)
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	}
	if len(s) < 7 || len(s) > 15 || strings.Trim(s, "0123456789") != "" || s[0] == '0' {
		return "", ErrInvalid
	}
	if !possible.get(s) {
		return "", ErrInvalid
	}
	return s, nil
}

// isPossible asks libphonenumber whether digits (an international number
// without "+") is possible for its country. It runs regular expressions,
// a tenth of an accept's CPU, so its answers are remembered (possible).
func isPossible(digits string) bool {
	num, err := phonenumbers.Parse("+"+digits, "")
	return err == nil && phonenumbers.IsPossibleNumber(num)
}

// possible remembers isPossible's answers. isPossible is a pure function
// of its argument, so the memo is not state anyone can see: only how fast
// an answer comes. It holds at most memoSize numbers and starts again
// empty when full, so that random numbers cannot grow it.
var possible = memo{size: 1 << 16, answer: isPossible}

type memo struct {
	size    int
	answer  func(string) bool
	mu      sync.RWMutex
	answers map[string]bool
}

func (m *memo) get(digits string) bool {
	m.mu.RLock()
	ok, found := m.answers[digits]
	m.mu.RUnlock()
	if found {
		return ok
	}
	ok = m.answer(digits)
	m.mu.Lock()
	if m.answers == nil || len(m.answers) >= m.size {
		m.answers = make(map[string]bool, m.size)
	}
	m.answers[digits] = ok
	m.mu.Unlock()
	return ok
}

// CountryCode returns the calling code of a normalised number (49 for
// 4917612345678), or 0 when it has none.
func CountryCode(normalized string) int {
	num, err := phonenumbers.Parse("+"+normalized, "")
	if err != nil {
		return 0
	}
	return int(num.GetCountryCode())
}

// ValidPrefix reports whether p ("" or digits) can begin an international
// number: "" (every number), or digits that start with a calling code
// libphonenumber knows ("49", "1", "1242", "4915").
func ValidPrefix(p string) bool {
	if p == "" {
		return true
	}
	if len(p) > 15 || strings.Trim(p, "0123456789") != "" {
		return false
	}
	codes := phonenumbers.GetSupportedCallingCodes()
	for n := 1; n <= 3 && n <= len(p); n++ {
		cc := 0
		for _, d := range p[:n] {
			cc = cc*10 + int(d-'0')
		}
		if codes[cc] {
			return true
		}
	}
	return false
}

// Region returns the ISO 3166 region of a normalised number ("DE" for
// 4917612345678): the number's own, or for a number libphonenumber does
// not know to be valid (test ranges) the main region of its calling code;
// "" for an unknown calling code.
func Region(normalized string) string {
	num, err := phonenumbers.Parse("+"+normalized, "")
	if err != nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(num)
	if r == "" || r == "ZZ" {
		r = phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))
	}
	if r == "ZZ" {
		return ""
	}
	return r
}

// CallingCode returns the calling code of an ISO 3166 region ("49" for
// DE), or "" for a region libphonenumber does not know.
func CallingCode(region string) string {
	cc := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region))
	if cc == 0 {
		return ""
	}
	return strconv.Itoa(cc)
}
