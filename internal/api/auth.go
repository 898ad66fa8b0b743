package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

type principalKey struct{}

// principal is the authenticated caller.
type principal struct {
	AccountID int64
	KeyID     int64
}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// HashKey is how API keys are stored: SHA-256 of the secret. Keys are long
// random strings, so a fast hash is enough; a slow KDF would only slow every
// request.
func HashKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// apiKeyFrom reads the key the way seven's clients send it: X-Api-Key, or
// Authorization "Basic <key>" or "Bearer <key>".
func apiKeyFrom(r *http.Request) []string {
	if k := strings.TrimSpace(r.Header.Get("X-Api-Key")); k != "" {
		return []string{k}
	}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok {
		return nil
	}
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		return []string{cred}
	case "basic":
		// seven's SDKs send the bare key after "Basic"; HTTP clients that
		// build Basic auth from user:password send base64. Try both.
		keys := []string{cred}
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			user, pass, _ := strings.Cut(string(dec), ":")
			for _, k := range []string{pass, user} {
				if k != "" {
					keys = append(keys, k)
				}
			}
		}
		return keys
	}
	return nil
}

// touchInterval is how stale a key's last-used time may get: it is
// written at most once per interval, not on every request.
const touchInterval = time.Minute

// auth authenticates the request and checks the scope ("" for any key):
// HTTP 401 with the bare body 900 for a missing, wrong, revoked or expired
// key, 403 with 902 for a key without the scope, as seven answers. Then it
// applies the key's rate limit and, when the account signs its requests,
// checks the signature.
func (s *Server) auth(scope openwaba.Scope, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.cfg.Reads.Refresh(r.Context()); err != nil {
			s.log.Error("authenticating request", "err", err)
			writeServerError(w)
			return
		}
		key, err := s.authenticate(r)
		if err != nil {
			if !errors.Is(err, openwaba.ErrUnauthorized) {
				s.log.Error("authenticating request", "err", err)
				writeServerError(w)
				return
			}
			writeBareCode(w, http.StatusUnauthorized, openwaba.CodeAuthFailed)
			return
		}
		now := s.now()
		if err := s.limiter.allow(w, key.ID, now); err != nil {
			s.writeError(w, err, false)
			return
		}
		if scope != "" && !key.HasScope(scope) {
			writeBareCode(w, http.StatusForbidden, openwaba.CodeNoScope)
			return
		}
		acct, err := s.cfg.Reads.Account(r.Context(), key.AccountID)
		if err != nil {
			s.writeError(w, fmt.Errorf("account of key %d: %w", key.ID, err), false)
			return
		}
		if acct.SigningSecret != "" {
			if err := s.verifySignature(r, acct); err != nil {
				s.writeError(w, err, false)
				return
			}
		}
		if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) >= touchInterval {
			if err := s.cfg.Reads.TouchAPIKey(r.Context(), key.ID, now); err != nil {
				s.log.Warn("recording the last use of an API key", "key_id", key.ID, "err", err)
			}
		}
		ctx := context.WithValue(r.Context(), principalKey{}, principal{AccountID: key.AccountID, KeyID: key.ID})
		next(w, r.WithContext(ctx))
	})
}

func (s *Server) authenticate(r *http.Request) (openwaba.APIKey, error) {
	for _, secret := range apiKeyFrom(r) {
		hash := HashKey(secret)
		key, err := s.cfg.Reads.APIKeyByHash(r.Context(), hash)
		if errors.Is(err, openwaba.ErrNotFound) {
			continue
		}
		if err != nil {
			return openwaba.APIKey{}, err
		}
		// The lookup is by hash; compare again in constant time so that
		// no code path depends on how the database compares.
		if subtle.ConstantTimeCompare(key.Hash, hash) == 1 && key.Usable(s.now()) {
			return key, nil
		}
	}
	return openwaba.APIKey{}, openwaba.ErrUnauthorized
}
