package api

import (
	"context"
	"net/http"
	"time"
)

// pingTimeout bounds the database check of /readyz: a load balancer's
// probe has a timeout of its own, and a hung database is not ready.
const pingTimeout = 2 * time.Second

// healthz answers 200 while the gateway serves, 503 while it starts or
// drains: a load balancer takes a draining node out before it stops
// accepting connections.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeText(w, http.StatusServiceUnavailable, "starting or stopping\n")
		return
	}
	writeText(w, http.StatusOK, "ok\n")
}

// readyz is healthz and a database that answers: 503 while starting or
// draining, or while the database does not answer within pingTimeout.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeText(w, http.StatusServiceUnavailable, "starting or stopping\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	if err := s.ping(ctx); err != nil {
		s.log.Warn("readiness: the database does not answer", "err", err)
		writeText(w, http.StatusServiceUnavailable, "database unavailable\n")
		return
	}
	writeText(w, http.StatusOK, "ok\n")
}

func (s *Server) ping(ctx context.Context) error { return s.cfg.Store.Ping(ctx) }

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}
