package webhook_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

func TestParseHeaders(t *testing.T) {
	t.Parallel()
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "X-H%d: v\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name, lines string
		want        http.Header // compared when set
		why         string      // set: the error must say it
	}{
		{"empty", "", http.Header{}, ""},
		{"two", "X-Customer: acme\nAuthorization: Bearer abc\n", http.Header{"X-Customer": {"acme"}, "Authorization": {"Bearer abc"}}, ""},
		{"crlf and blank lines", "x-customer:  acme \r\n\r\n", http.Header{"X-Customer": {"acme"}}, ""},
		{"token punctuation", "X-A!#$%&'*+.^_`|~: v", http.Header{"X-A!#$%&'*+.^_`|~": {"v"}}, ""},
		{"empty value", "X-Empty:", http.Header{"X-Empty": {""}}, ""},
		{"tab and obs-text in value", "X-V: a\tb é", http.Header{"X-V": {"a\tb é"}}, ""},
		{"twenty", many(20), nil, ""},
		{"no colon", "X-Customer acme", nil, "not \"Name: value\""},
		{"no name", ": value", nil, "not an HTTP token"},
		{"space in name", "Bad Name: x", nil, "not an HTTP token"},
		{"non-ASCII name", "X-Ä: x", nil, "not an HTTP token"},
		{"CR in value", "X-A: b\rX-B: c", nil, "control character U+000D"},
		{"NUL in value", "X-A: b\x00c", nil, "control character U+0000"},
		{"escape in value", "X-A: \x1b[31m", nil, "control character U+001B"},
		{"DEL in value", "X-A: b\x7f", nil, "control character U+007F"},
		{"Transfer-Encoding", "Transfer-Encoding: chunked", nil, "set by the HTTP client"},
		{"Content-Encoding", "content-encoding: gzip", nil, "set by the HTTP client"},
		{"Content-Length", "Content-Length: 5", nil, "set by the HTTP client"},
		{"Connection", "Connection: close", nil, "set by the HTTP client"},
		{"Keep-Alive", "Keep-Alive: 5", nil, "set by the HTTP client"},
		{"TE", "TE: trailers", nil, "set by the HTTP client"},
		{"Trailer", "Trailer: X", nil, "set by the HTTP client"},
		{"Upgrade", "Upgrade: h2c", nil, "set by the HTTP client"},
		{"Host", "Host: evil.example", nil, "set by the HTTP client"},
		{"Expect", "Expect: 100-continue", nil, "set by the HTTP client"},
		{"Proxy-Authorization", "Proxy-Authorization: Basic x", nil, "for proxies"},
		{"X-Signature", "X-Signature: forged", nil, "set by openwaba"},
		{"X-Timestamp", "x-timestamp: 1", nil, "set by openwaba"},
		{"X-Nonce", "X-Nonce: n", nil, "set by openwaba"},
		{"X-Webhook-Id", "x-webhook-id: 1", nil, "set by openwaba"},
		{"Content-Type", "Content-Type: text/plain", nil, "set by openwaba"},
		{"User-Agent", "User-Agent: me", nil, "set by openwaba"},
		{"twice", "X-A: 1\nx-a: 2", nil, "given twice"},
		{"twenty-one", many(21), nil, "at most 20 headers"},
		{"megabyte value", "X-Big: " + strings.Repeat("v", 1<<20), nil, "at most 4096 bytes"},
		{"20,000 lines", strings.Repeat("X-A: 1\n", 20000), nil, "given twice"},
		{"4 KiB in all", "X-A: " + strings.Repeat("v", 2048) + "\nX-B: " + strings.Repeat("v", 2048), nil, "at most 4096 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := webhook.ParseHeaders(tc.lines)
			if tc.why != "" {
				if err == nil || !strings.Contains(err.Error(), tc.why) {
					t.Fatalf("ParseHeaders(%.60q) = %v, %v; want an error saying %q", tc.lines, got, err, tc.why)
				}
				if len(err.Error()) > 200 {
					t.Fatalf("error of %d bytes: it must not quote the whole input", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseHeaders(%.60q): %v", tc.lines, err)
			}
			if tc.want != nil && fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("ParseHeaders(%q) = %v, want %v", tc.lines, got, tc.want)
			}
			// What is accepted goes over the wire as it is: Go's client,
			// which refuses what HTTP does not allow, sends it.
			assertSendable(t, got)
		})
	}
}

// assertSendable sends h with Go's HTTP client and checks the server got
// every header as given.
func assertSendable(t *testing.T, h http.Header) {
	t.Helper()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("sending %v: %v", h, err)
	}
	resp.Body.Close()
	for k, vs := range h {
		if g := got.Values(k); len(g) != 1 || g[0] != vs[0] {
			t.Fatalf("header %s arrived as %q, want %q", k, g, vs)
		}
	}
}

// TestUnsendableStoredHeaderIsFinal: a hook stored before the checks, with
// a header the client can never send, is dead at its first attempt rather
// than retried for days.
func TestUnsendableStoredHeaderIsFinal(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, headers, why string }{
		{"control character", "X-A: b\x01c", "control character"},
		{"framing", "Transfer-Encoding: chunked", "set by the HTTP client"},
		{"bad name", "Bad Name: x", "not an HTTP token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r := newReceiver(t)
			e.hook(r.URL, openwaba.HookDLR, "JSON", tc.headers)
			e.message("wamid.h", openwaba.StatusSent)
			dead := e.dead(1)
			if dead[0].Attempts != 1 || !strings.Contains(dead[0].LastError, tc.why) || len(r.requests()) != 0 {
				t.Fatalf("dead %+v after %d requests; want one attempt, no request, and %q", dead[0], len(r.requests()), tc.why)
			}
		})
	}
}

// FuzzParseHeaders: ParseHeaders never panics; what it accepts is within
// the bounds, of valid syntax, none of the reserved names, and parses
// again, written out as "Name: value" lines, to the same headers.
func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{"", "X-Customer: acme\nAuthorization: Bearer abc", "X-A: b\rX-B: c", "X-A: b\x00", "Transfer-Encoding: chunked",
		"x-webhook-id: 1", ": v", "X-A:1\nX-A:2", "X-\xff: v", "X-A: \xc2\x85", "X-A: \t v \t", "Proxy-Connection: close"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lines string) {
		h, err := webhook.ParseHeaders(lines)
		if err != nil {
			if h != nil {
				t.Fatalf("ParseHeaders(%q) returned headers with an error", lines)
			}
			return
		}
		if len(h) > webhook.MaxHookHeaders {
			t.Fatalf("%d headers accepted", len(h))
		}
		var out strings.Builder
		size := 0
		for k, vs := range h {
			if len(vs) != 1 {
				t.Fatalf("%s has %d values", k, len(vs))
			}
			v := vs[0]
			size += len(k) + 2 + len(v)
			if k == "" || strings.ContainsAny(k, " \t:\r\n\x00()<>@,;\\\"/[]?={}") || k != http.CanonicalHeaderKey(k) {
				t.Fatalf("name %q accepted", k)
			}
			if strings.ContainsAny(v, "\r\n\x00") || v != strings.TrimSpace(v) {
				t.Fatalf("value %q of %s accepted", v, k)
			}
			l := strings.ToLower(k)
			if strings.HasPrefix(l, "x-webhook-") || strings.HasPrefix(l, "proxy-") || l == "transfer-encoding" || l == "host" || l == "x-signature" || l == "content-length" {
				t.Fatalf("reserved header %s accepted", k)
			}
			fmt.Fprintf(&out, "%s: %s\n", k, v)
		}
		if size > webhook.MaxHookHeaderBytes {
			t.Fatalf("%d bytes of headers accepted", size)
		}
		again, err := webhook.ParseHeaders(out.String())
		if err != nil || fmt.Sprint(again) != fmt.Sprint(h) {
			t.Fatalf("written out as %q, the headers %v parse to %v, %v", out.String(), h, again, err)
		}
	})
}
