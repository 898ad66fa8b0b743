package api

import (
	"context"
	"net/http"

	"github.com/openwaba/openwaba"
)

// The web console (internal/console) calls the API in-process instead of
// re-implementing it: a page that sends, cancels, replays or tops up makes
// the same request a client would, through the same handlers and so the
// same validation and store paths, as the key the console's user signed in
// with. Only the way the key is presented differs: a signed session cookie
// instead of a header.

type inProcessKey struct{}

// ServeAs serves r through the API's routes as if it carried key's secret.
// The caller must have authenticated the key (Authenticate) and checked
// that it is still usable; scopes, the rate limit and every validation
// apply as for any request. A request signature is not asked for: the
// console's session is the proof of the key, and a browser cannot sign.
func (s *Server) ServeAs(key openwaba.APIKey, w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), inProcessKey{}, key)))
}

// Authenticate checks an API key's secret as the API's authentication does:
// ErrUnauthorized for a wrong, revoked or expired key.
func (s *Server) Authenticate(ctx context.Context, secret string) (openwaba.APIKey, error) {
	if err := s.cfg.Reads.Refresh(ctx); err != nil {
		return openwaba.APIKey{}, err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", http.NoBody)
	if err != nil {
		return openwaba.APIKey{}, err
	}
	r.Header.Set("X-Api-Key", secret)
	return s.authenticate(r)
}

// inProcess returns the key ServeAs put on the request's context.
func inProcess(ctx context.Context) (openwaba.APIKey, bool) {
	k, ok := ctx.Value(inProcessKey{}).(openwaba.APIKey)
	return k, ok
}
