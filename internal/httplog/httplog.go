// Package httplog logs the gateway's requests, one line each, under a
// request id that the response carries too (X-Request-Id), so that a
// client's report, a proxy's log and the gateway's log meet.
package httplog

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Header carries the request id, in both directions.
const Header = "X-Request-Id"

// maxIDLen bounds a request id taken from a client.
const maxIDLen = 64

type ctxKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// saneID reports whether a client's id may be used as it is: 1 to 64
// letters, digits and . _ : - (UUIDs, trace ids, a proxy's ids), nothing
// that could forge a log line or a header.
func saneID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// quiet are the routes polled by machines (load balancers, Prometheus):
// their requests are logged at debug level, not info.
var quiet = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// Middleware gives every request an id (the client's X-Request-Id when it
// is sane, else a new random one), sets it on the response and in the
// request's context (RequestID), and logs the request once it is
// answered: method, path (never the query, nor headers: they may carry
// API keys), route, status, bytes, duration, client address and id. Info
// level; 5xx answers warn; the health checks and /metrics debug. The route
// is the mux pattern that matched (http.Request.Pattern), when next
// serves a mux with the request it was given.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(Header)
		if !saneID(id) {
			id = rand.Text()
		}
		w.Header().Set(Header, id)
		logCtx := r.Context() // without the id: the line carries it itself
		r = r.WithContext(WithRequestID(r.Context(), id))
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		switch {
		case rec.status >= 500:
			level = slog.LevelWarn
		case quiet[r.Pattern]:
			level = slog.LevelDebug
		}
		if !log.Enabled(logCtx, level) {
			return
		}
		client, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			client = r.RemoteAddr
		}
		log.LogAttrs(logCtx, level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", r.Pattern),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", client),
			slog.String("request_id", id),
		)
	})
}

// recorder keeps the status and the size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes flushes on (http.Flusher).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// NewHandler wraps h so that a record logged with the context of a request
// (Logger.InfoContext(r.Context(), ...)) carries its request_id.
func NewHandler(h slog.Handler) slog.Handler { return contextHandler{h} }

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
