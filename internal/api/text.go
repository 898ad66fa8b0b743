package api

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// checkText refuses U+0000 (NUL) in any string of a decoded request (the
// JSON value a body is, or the one a form stands for), naming the field
// as validation does: contacts[0].name.first_name, components.body[1].
// WhatsApp has no use for NUL, and PostgreSQL cannot store it in a text
// column, so a message holding one would fail in the store after it was
// accepted; here the client hears why, and nothing is changed. It runs
// for every body of every endpoint, before any handler.
func checkText(v any, field string) error {
	switch x := v.(type) {
	case string:
		if strings.IndexByte(x, 0) >= 0 {
			return badField(orBody(field), "must not contain U+0000 (NUL)")
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the first field in name order is the one reported
		for _, k := range keys {
			child := k
			if field != "" {
				child = field + "." + k
			}
			if strings.IndexByte(k, 0) >= 0 {
				return badField(orBody(field), "a field name must not contain U+0000 (NUL), got %q", k)
			}
			if err := checkText(x[k], child); err != nil {
				return err
			}
		}
	case []any:
		for i, c := range x {
			if err := checkText(c, fmt.Sprintf("%s[%d]", orBody(field), i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func orBody(field string) string {
	if field == "" {
		return "body"
	}
	return field
}

// checkQuery applies the same rule to query parameters that reach the
// store (list filters), and refuses invalid UTF-8 there too: the body's
// decoders turn it into U+FFFD, but a query string arrives as bytes, and
// PostgreSQL refuses both.
func checkQuery(q url.Values) error {
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if rule := textRule(k); rule != "" {
			return badField("query", "a parameter name %s", rule)
		}
		for _, v := range q[k] {
			if rule := textRule(v); rule != "" {
				return badField(k, "%s", rule)
			}
		}
	}
	return nil
}

// textRule is the rule a query string breaks, or "".
func textRule(v string) string {
	switch {
	case strings.IndexByte(v, 0) >= 0:
		return "must not contain U+0000 (NUL)"
	case !utf8.ValidString(v):
		return "must be valid UTF-8"
	}
	return ""
}
