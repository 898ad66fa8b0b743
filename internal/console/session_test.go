package console

import (
	"strings"
	"testing"
	"time"
)

func testConsole(t testing.TB, secret string) *Console {
	t.Helper()
	c, err := New(Config{SessionSecret: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	c := testConsole(t, "secret one")
	good := c.encodeSession(session{AccountID: 3, KeyID: 17, Expires: now.Add(time.Hour)})
	payload, sig, _ := strings.Cut(good, ".")
	tests := []struct {
		name   string
		cookie string
		at     time.Time
		ok     bool
	}{
		{"as signed", good, now, true},
		{"expired", good, now.Add(time.Hour), false},
		{"another secret's", testConsole(t, "secret two").encodeSession(session{AccountID: 3, KeyID: 17, Expires: now.Add(time.Hour)}), now, false},
		{"another key named", strings.Replace(good, "3.17.", "3.18.", 1), now, false},
		{"a later expiry", strings.Replace(good, "3.17.", "3.17.9", 1), now, false},
		{"no signature", good[:strings.LastIndexByte(good, '.')], now, false},
		{"empty", "", now, false},
		{"signature only", "." + sig, now, false},
		{"garbage", payload + ".%%%", now, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ok := c.decodeSession(tc.cookie, tc.at)
			if ok != tc.ok {
				t.Fatalf("decodeSession(%q) ok = %v, want %v", tc.cookie, ok, tc.ok)
			}
			if ok && (s.AccountID != 3 || s.KeyID != 17) {
				t.Fatalf("decoded %+v", s)
			}
		})
	}
}

func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	t.Parallel()
	c := testConsole(t, "secret")
	exp := time.Now().Add(time.Hour)
	a := c.encodeSession(session{AccountID: 1, KeyID: 1, Expires: exp})
	b := c.encodeSession(session{AccountID: 1, KeyID: 2, Expires: exp})
	if c.csrfToken(a) == c.csrfToken(b) {
		t.Fatal("two sessions have the same CSRF token")
	}
	if c.csrfToken(a) != c.csrfToken(a) {
		t.Fatal("a session's CSRF token changes")
	}
	if testConsole(t, "other").csrfToken(a) == c.csrfToken(a) {
		t.Fatal("the CSRF token does not depend on the secret")
	}
}

// FuzzDecodeSession: the cookie is the browser's bytes; decoding never
// panics and accepts only what this console signed.
func FuzzDecodeSession(f *testing.F) {
	c := testConsole(f, "fuzz secret")
	now := time.Unix(1_800_000_000, 0)
	f.Add(c.encodeSession(session{AccountID: 1, KeyID: 2, Expires: now.Add(time.Hour)}))
	f.Add("1.2.3.abc")
	f.Add("....")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		s, ok := c.decodeSession(v, now)
		if !ok {
			return
		}
		if c.encodeSession(s) != v {
			t.Fatalf("accepted %q, which is not what the console signs for %+v", v, s)
		}
	})
}

func TestPagesParse(t *testing.T) {
	t.Parallel()
	ps, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pageNames {
		if ps[name].Lookup("content") == nil || ps[name].Lookup("layout") == nil {
			t.Errorf("page %s lacks content or layout", name)
		}
	}
}
