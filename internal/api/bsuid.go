package api

import (
	"strings"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
)

// userID reads one user named in field: a phone number, normalised to
// digits, or a business-scoped user ID (BSUID, US.13491208655302741918) or
// parent BSUID (US.ENT.11815799212886844830), kept exactly as given: Meta
// names users who hide their number behind a username only so. Anything
// that starts like a BSUID (two letters and a dot) is held to its form.
func userID(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if looksLikeBSUID(s) {
		if !openwaba.IsBSUID(s) {
			return "", badField(field, "a business-scoped user ID is a two-letter country code in capitals, a dot "+
				"(for a parent BSUID ENT and a dot) and 1 to 128 letters and digits, e.g. US.13491208655302741918; got %q", s)
		}
		return s, nil
	}
	n, err := phone.Normalize(s)
	if err != nil {
		return "", badField(field, "must be a phone number in international format, e.g. 4917612345678, "+
			"or a business-scoped user ID, e.g. US.13491208655302741918; got %q", s)
	}
	return n, nil
}

// looksLikeBSUID reports whether s starts as a BSUID does: two ASCII
// letters and a dot. No phone number does.
func looksLikeBSUID(s string) bool {
	letter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	return len(s) >= 3 && letter(s[0]) && letter(s[1]) && s[2] == '.'
}

// UserID reads a user id given by a person as every front end takes it
// (the command line too): a phone number in international format, or a
// business-scoped user ID; the error names field.
func UserID(field, s string) (string, error) { return userID(field, s) }
