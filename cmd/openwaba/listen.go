package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/openwaba/openwaba/internal/limit"
)

// listen opens a TCP listener on addr with the connection limits of c:
// the overall cap always, the per-client cap with perClient (the API's
// listener, which anyone may reach).
func (c config) listen(addr string, perClient bool, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	lc := limit.ListenerConfig{Max: c.MaxConnections, Logger: log.With("listener", ln.Addr().String())}
	if perClient {
		lc.PerClient = c.MaxConnectionsPerIP
	}
	return limit.Listener(ln, lc), nil
}

// httpServer serves h with the timeouts of c. ReadTimeout bounds the
// whole request, body included, so that a body dripped a byte at a time
// holds a connection no longer than that; a handler that legitimately
// needs longer (a large upload) extends its own deadline with
// http.NewResponseController(w).SetReadDeadline, and one that writes for
// longer than WriteTimeout SetWriteDeadline. IdleTimeout closes keep-alive
// connections nobody uses.
func (c config) httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
