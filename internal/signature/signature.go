// Package signature implements seven's request signature, which signs
// both the requests a customer sends (when its account requires it) and
// the webhooks openwaba sends to the customer:
//
//	X-Timestamp: unix seconds
//	X-Nonce:     a random string, used once
//	X-Signature: hex HMAC-SHA256(secret, timestamp \n nonce \n METHOD \n URL \n hex MD5(body))
package signature

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StringToSign is what the signature covers: the timestamp, the nonce, the
// HTTP method, the URL and the hex MD5 of the body, one a line.
func StringToSign(timestamp, nonce, method, url string, body []byte) string {
	sum := md5.Sum(body)
	return strings.Join([]string{timestamp, nonce, strings.ToUpper(method), url, hex.EncodeToString(sum[:])}, "\n")
}

// Sign returns the hex HMAC-SHA256 of the string to sign: the X-Signature
// header.
func Sign(secret, timestamp, nonce, method, url string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(StringToSign(timestamp, nonce, method, url, body)))
	return hex.EncodeToString(mac.Sum(nil))
}

// Valid reports, in constant time, whether sig is the signature of the
// request under secret.
func Valid(secret, sig, timestamp, nonce, method, url string, body []byte) bool {
	want := Sign(secret, timestamp, nonce, method, url, body)
	return hmac.Equal([]byte(strings.ToLower(strings.TrimSpace(sig))), []byte(want))
}

// SetHeaders signs a request about to be sent to url at now, with a fresh
// nonce, and sets X-Timestamp, X-Nonce and X-Signature.
func SetHeaders(h http.Header, secret, method, url string, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := rand.Text()
	h.Set("X-Timestamp", ts)
	h.Set("X-Nonce", nonce)
	h.Set("X-Signature", Sign(secret, ts, nonce, method, url, body))
}
