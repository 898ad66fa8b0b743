package webhook

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// Bounds of a hook's own headers. Real hooks carry a token or two; a
// receiver (or a proxy before it) refuses a request whose header section
// is too large, and the delivery would then fail on every attempt.
const (
	MaxHookHeaders     = 20
	MaxHookHeaderBytes = 4096 // "Name: value" lines, counted without line ends
)

// framingHeaders describe the connection or the message framing, which the
// HTTP client owns (RFC 9110 §7.6.1, RFC 9112): set by a hook they would
// contradict what is sent, or make the client refuse the request.
var framingHeaders = []string{"Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
	"Content-Length", "Content-Encoding", "Host", "Expect"}

// gatewayHeaders are the ones the deliverer sets on every webhook (see
// send and signature.SetHeaders); a hook's value would replace them, or
// forge the signature a receiver checks.
var gatewayHeaders = []string{"Content-Type", "User-Agent", "X-Signature", "X-Timestamp", "X-Nonce"}

// ParseHeaders reads a hook's own headers, "Name: value" one a line, and
// refuses at creation what could never be sent: a name that is not an
// RFC 9110 token, a value with control characters, a header that belongs
// to the HTTP client (framingHeaders, Proxy-*) or to openwaba
// (gatewayHeaders, X-Webhook-*), a name given twice (only one value would
// be sent), more than MaxHookHeaders lines or MaxHookHeaderBytes in all.
// The hooks API calls it; the deliverer applies the same rules to every
// line at send time (setHeaders). Blank lines are skipped.
func ParseHeaders(lines string) (http.Header, error) {
	h := http.Header{}
	n, size := 0, 0
	for _, line := range strings.Split(lines, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, err := parseHeaderLine(line)
		if err != nil {
			return nil, err
		}
		if n++; n > MaxHookHeaders {
			return nil, fmt.Errorf("at most %d headers", MaxHookHeaders)
		}
		if size += len(name) + len(": ") + len(value); size > MaxHookHeaderBytes {
			return nil, fmt.Errorf("at most %d bytes of headers in all", MaxHookHeaderBytes)
		}
		if _, dup := h[name]; dup {
			return nil, fmt.Errorf("%s is given twice; a hook sends one value per header", name)
		}
		h[name] = []string{value}
	}
	return h, nil
}

// parseHeaderLine reads one "Name: value" line and checks it can be sent:
// it returns the canonical name and the value without surrounding spaces.
func parseHeaderLine(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok {
		return "", "", fmt.Errorf("%q is not \"Name: value\"", clip(line))
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !validFieldName(name) {
		return "", "", fmt.Errorf("header name %q is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~)", clip(name))
	}
	if i := invalidFieldValueByte(value); i >= 0 {
		return "", "", fmt.Errorf("the value of %s holds the control character %U, which HTTP does not allow", name, rune(value[i]))
	}
	name = textproto.CanonicalMIMEHeaderKey(name)
	lower := strings.ToLower(name)
	for _, f := range framingHeaders {
		if strings.EqualFold(name, f) {
			return "", "", fmt.Errorf("%s is set by the HTTP client from the request itself, not by a hook", name)
		}
	}
	if strings.HasPrefix(lower, "proxy-") {
		return "", "", fmt.Errorf("%s is for proxies, not for the receiver", name)
	}
	for _, g := range gatewayHeaders {
		if strings.EqualFold(name, g) {
			return "", "", fmt.Errorf("%s is set by openwaba and cannot be replaced", name)
		}
	}
	if strings.HasPrefix(lower, "x-webhook-") {
		return "", "", fmt.Errorf("%s is set by openwaba and cannot be replaced", name)
	}
	return name, value, nil
}

// validFieldName reports whether s is an RFC 9110 field-name: a token of
// one or more tchar.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

// isTchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// invalidFieldValueByte returns the index of the first byte that an RFC
// 9110 field-value may not hold (a control character other than HTAB, or
// DEL), or -1. Bytes from 0x80 are obs-text, which HTTP carries as is.
func invalidFieldValueByte(v string) int {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return i
		}
	}
	return -1
}

// clip shortens what an error message quotes: a value may be megabytes.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
