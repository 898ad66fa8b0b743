package signature_test

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/signature"
)

// reference computes the signature the way seven's documentation spells
// it out, step by step, independently of the package.
func reference(secret, ts, nonce, method, url string, body []byte) string {
	bodyMD5 := md5.Sum(body)
	msg := ts + "\n" + nonce + "\n" + method + "\n" + url + "\n" + fmt.Sprintf("%x", bodyMD5)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(msg))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestSignMatchesReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, url string
		body        []byte
	}{
		{"POST", "https://example.com/hook", []byte(`{"webhook_event":"dlr"}`)},
		{"GET", "https://example.com/hook?a=1&b=2", nil},
		{"POST", "http://127.0.0.1:9/x", []byte("a=1&b=%C3%A4")},
	}
	for _, tc := range tests {
		got := signature.Sign("s3cret", "1764060000", "n0nce", tc.method, tc.url, tc.body)
		if want := reference("s3cret", "1764060000", "n0nce", tc.method, tc.url, tc.body); got != want {
			t.Errorf("%s %s: %s, want %s", tc.method, tc.url, got, want)
		}
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	sig := reference("s3cret", "1", "n", "POST", "https://x/y", []byte("body"))
	tests := []struct {
		name                        string
		secret, sig, ts, nonce, url string
		body                        string
		want                        bool
	}{
		{"good", "s3cret", sig, "1", "n", "https://x/y", "body", true},
		{"upper-case hex", "s3cret", fmt.Sprintf("%X", mustHex(sig)), "1", "n", "https://x/y", "body", true},
		{"wrong secret", "other", sig, "1", "n", "https://x/y", "body", false},
		{"other body", "s3cret", sig, "1", "n", "https://x/y", "body2", false},
		{"other nonce", "s3cret", sig, "1", "m", "https://x/y", "body", false},
		{"other timestamp", "s3cret", sig, "2", "n", "https://x/y", "body", false},
		{"other url", "s3cret", sig, "1", "n", "https://x/z", "body", false},
		{"empty", "s3cret", "", "1", "n", "https://x/y", "body", false},
	}
	for _, tc := range tests {
		if got := signature.Valid(tc.secret, tc.sig, tc.ts, tc.nonce, "POST", tc.url, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: Valid = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func TestSetHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	now := time.Unix(1764060000, 0)
	signature.SetHeaders(h, "s3cret", "POST", "https://x/y", []byte("b"), now)
	if h.Get("X-Timestamp") != "1764060000" || len(h.Get("X-Nonce")) < 16 {
		t.Fatalf("headers %v", h)
	}
	if want := reference("s3cret", "1764060000", h.Get("X-Nonce"), "POST", "https://x/y", []byte("b")); h.Get("X-Signature") != want {
		t.Errorf("X-Signature %s, want %s", h.Get("X-Signature"), want)
	}
	h2 := http.Header{}
	signature.SetHeaders(h2, "s3cret", "POST", "https://x/y", []byte("b"), now)
	if h2.Get("X-Nonce") == h.Get("X-Nonce") {
		t.Error("two signatures share a nonce")
	}
}
