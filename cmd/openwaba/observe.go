package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/openwaba/openwaba/internal/httplog"
	"github.com/openwaba/openwaba/internal/metrics"
)

// newLogger logs at level ("debug", "info", "warn", "error") in format
// ("text" or "json"; "" is text) to w. Records logged with a request's
// context carry its request id.
func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler
	switch format {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: use text or json", format)
	}
	return slog.New(httplog.NewHandler(h)), nil
}

// newMetrics is the gateway's own registry, reading the queues' sizes
// from its store.
func (g *gateway) newMetrics() *metrics.Metrics {
	return metrics.New(metrics.Config{Store: g.store, Logger: g.log.With("component", "metrics"), Version: buildVersion().Version})
}

// metricsHandler serves /metrics to the networks of --metrics-allow; nil
// (no route) with none.
func (g *gateway) metricsHandler(cfg config) http.Handler {
	if len(cfg.MetricsAllow) == 0 {
		return nil
	}
	return g.metrics.Handler(cfg.MetricsAllow)
}

// observed wraps the API's handler: a request id and a log line for every
// request, around the metrics of its answer.
func (g *gateway) observed(h http.Handler) http.Handler {
	return httplog.Middleware(g.log, g.metrics.Instrument(h))
}

// startDebug serves pprof on --debug-addr, when set: a listener of its
// own, never the API's, since profiles reveal the process's internals and
// cost CPU. Its writes have no time limit, so that a profile or trace may
// run as long as asked for. (net/http/pprof also registers itself on
// http.DefaultServeMux, which the gateway never serves.)
func (g *gateway) startDebug(cfg config) error {
	if cfg.DebugAddr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := cfg.listen(cfg.DebugAddr, false, g.log)
	if err != nil {
		return fmt.Errorf("debug listener: %w", err)
	}
	g.debugSrv = cfg.httpServer(mux, g.log)
	g.debugSrv.WriteTimeout = 0
	g.DebugAddr = ln.Addr().String()
	srv := g.debugSrv
	g.background.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("debug server stopped", "err", err)
		}
	})
	g.log.Info("pprof is listening", "addr", "http://"+g.DebugAddr+"/debug/pprof/")
	return nil
}

// stopDebug closes the pprof listener and cuts the profiles in flight.
func (g *gateway) stopDebug() {
	if g.debugSrv != nil {
		_ = g.debugSrv.Close()
	}
}
