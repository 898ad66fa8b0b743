package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// IdempotencyTTL is how long the response to a request with an
// Idempotency-Key is kept and given again.
const IdempotencyTTL = 24 * time.Hour

// idempotencyWait bounds how long a request waits for the first request
// with its key, still running on this or another gateway, to finish.
const idempotencyWait = 30 * time.Second

var (
	errIdempotencyMismatch = errors.New("Idempotency-Key was used before with a different request; use a new key for a new request")
	errIdempotencyRunning  = errors.New("a request with this Idempotency-Key is still being processed; retry later")
	errIdempotencyLost     = errors.New("the first request with this Idempotency-Key did not finish (its gateway may have stopped), so its outcome is unknown; look up its messages before sending again with a new key")
)

// bufferedResponse keeps a handler's response so that it can be stored
// before it is sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// idempotent makes next repeatable with an Idempotency-Key header: the
// first request with a key runs and its response is stored (in the
// database, so every gateway on it knows the key) for IdempotencyTTL; a
// later request with the key and the same body gets that response again,
// with Idempotent-Replayed: true, and sends nothing. The same key with
// another body is HTTP 409. Responses with a 5xx status are not kept: the
// request may be retried with the same key.
func (s *Server) idempotent(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
		if key == "" {
			next(w, r)
			return
		}
		if len(key) > 255 {
			s.writeError(w, &fieldError{Field: "Idempotency-Key", Msg: "is longer than 255 characters"}, false)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
		if err != nil {
			s.writeError(w, &fieldError{Field: "body", Msg: "could not be read or is larger than 1 MiB"}, false)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		fmt.Fprintf(h, "%s\n%s\n%s\n", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"))
		h.Write(body)
		fingerprint := h.Sum(nil)

		p := principalFrom(r.Context())
		now := s.now()
		rec, created, err := s.cfg.Store.BeginIdempotent(r.Context(), openwaba.IdempotencyRecord{
			AccountID: p.AccountID, Key: key, RequestHash: fingerprint, CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL),
		}, now)
		if err != nil {
			s.writeError(w, fmt.Errorf("idempotency key: %w", err), false)
			return
		}
		if !created {
			s.replay(w, r, rec, fingerprint)
			return
		}

		buf := &bufferedResponse{header: w.Header()}
		next(buf, r)
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		// The outcome is stored even when the client has gone away.
		ctx := context.WithoutCancel(r.Context())
		if buf.status >= 500 {
			if err := s.cfg.Store.AbandonIdempotent(ctx, p.AccountID, key); err != nil {
				s.log.Error("releasing an idempotency key", "err", err)
			}
		} else if err := s.cfg.Store.FinishIdempotent(ctx, p.AccountID, key, buf.status, buf.body.Bytes()); err != nil {
			s.log.Error("storing the response of an idempotency key", "err", err)
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes())
	}
}

// replay answers a request whose key is known: with the stored response,
// once the first request has finished.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, rec openwaba.IdempotencyRecord, fingerprint []byte) {
	if !bytes.Equal(rec.RequestHash, fingerprint) {
		s.writeError(w, errIdempotencyMismatch, false)
		return
	}
	deadline := time.NewTimer(idempotencyWait)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !rec.Done() {
		// A record still running long after a request could have taken
		// is one whose gateway stopped half-way.
		if s.now().Sub(rec.CreatedAt) > idempotencyWait {
			s.writeError(w, errIdempotencyLost, false)
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-deadline.C:
			s.writeError(w, errIdempotencyRunning, false)
			return
		case <-tick.C:
		}
		var err error
		rec, err = s.cfg.Store.IdempotencyRecord(r.Context(), rec.AccountID, rec.Key)
		if errors.Is(err, openwaba.ErrNotFound) {
			// The first request failed and released the key.
			s.writeError(w, errIdempotencyRunning, false)
			return
		}
		if err != nil {
			s.writeError(w, fmt.Errorf("idempotency key: %w", err), false)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}
