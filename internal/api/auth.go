package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

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

// auth authenticates the request and checks the scope: HTTP 401 with the
// bare body 900 for a missing or wrong key, 403 with 902 for a key without
// the scope, as seven answers.
func (s *Server) auth(scope openwaba.Scope, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		if !key.HasScope(scope) {
			writeBareCode(w, http.StatusForbidden, openwaba.CodeNoScope)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, principal{AccountID: key.AccountID, KeyID: key.ID})
		next(w, r.WithContext(ctx))
	})
}

func (s *Server) authenticate(r *http.Request) (openwaba.APIKey, error) {
	for _, secret := range apiKeyFrom(r) {
		hash := HashKey(secret)
		key, err := s.cfg.Store.APIKeyByHash(r.Context(), hash)
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
