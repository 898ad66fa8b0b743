package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/signature"
)

// SignatureMaxAge is how old a signed request's X-Timestamp may be, and how
// far in the future; its nonce is remembered for as long as that.
const SignatureMaxAge = 30 * time.Second

// signatureError is a signed request that is refused; Msg says why.
type signatureError struct{ Msg string }

func (e *signatureError) Error() string { return "request signature: " + e.Msg }

// requestURLs are the URLs a client may have signed for r: the absolute
// URL with the Host it used, as http and as https (a TLS-terminating proxy
// hides which), and the path with the query alone.
func requestURLs(r *http.Request) []string {
	uri := r.URL.RequestURI()
	return []string{"https://" + r.Host + uri, "http://" + r.Host + uri, uri}
}

// verifySignature checks a request of an account that signs its requests:
// a valid HMAC under the account's secret, a timestamp within
// SignatureMaxAge of now, and a nonce not seen before (recorded in the
// store, so that every gateway on the database knows it). It reads the
// body and puts it back for the handler.
func (s *Server) verifySignature(r *http.Request, acct openwaba.Account) error {
	sig := strings.TrimSpace(r.Header.Get("X-Signature"))
	ts := strings.TrimSpace(r.Header.Get("X-Timestamp"))
	nonce := strings.TrimSpace(r.Header.Get("X-Nonce"))
	if sig == "" || ts == "" || nonce == "" {
		return &signatureError{"this account signs its requests: X-Signature, X-Timestamp and X-Nonce are required"}
	}
	if len(nonce) > 128 {
		return &signatureError{"X-Nonce is longer than 128 characters"}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &signatureError{"X-Timestamp must be a Unix time in seconds"}
	}
	now := s.now()
	at := time.Unix(unix, 0)
	if age := now.Sub(at); age > SignatureMaxAge || age < -SignatureMaxAge {
		return &signatureError{fmt.Sprintf("X-Timestamp is more than %d seconds away from the server's time", int(SignatureMaxAge.Seconds()))}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return &fieldError{Field: "body", Msg: "could not be read or is larger than 1 MiB"}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ok := false
	for _, u := range requestURLs(r) {
		if signature.Valid(acct.SigningSecret, sig, ts, nonce, r.Method, u, body) {
			ok = true
		}
	}
	if !ok {
		return &signatureError{"X-Signature does not match"}
	}
	// Remembered a little longer than a timestamp is accepted.
	if err := s.cfg.Store.UseNonce(r.Context(), acct.ID, nonce, now, at.Add(SignatureMaxAge+time.Second)); err != nil {
		if errors.Is(err, openwaba.ErrConflict) {
			return &signatureError{"X-Nonce was used before (replayed request)"}
		}
		return fmt.Errorf("recording nonce: %w", err)
	}
	return nil
}
