package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/dispatch"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/pricing"
	"github.com/openwaba/openwaba/internal/receive"
	"github.com/openwaba/openwaba/internal/sandbox"
)

func serveCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	g, err := startGateway(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down: draining requests and sends in flight")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	return g.Shutdown(shutdownCtx)
}

// gateway is a running openwaba: HTTP server, dispatcher, store and, in
// sandbox mode, the sandbox's fake Graph API.
type gateway struct {
	Addr string // the address the API listens on
	log  *slog.Logger

	store      openwaba.Store
	server     *http.Server
	api        *api.Server
	sandbox    *sandbox.Sandbox
	sandboxSrv *http.Server

	stopDispatch context.CancelFunc
	background   sync.WaitGroup
}

// Sandbox defaults: the number seven's examples send from, and the Meta
// ids the sandbox knows it by.
const (
	sandboxNumber        = "4915112345678"
	sandboxPhoneNumberID = "100000000000001"
	sandboxWABAID        = "200000000000001"
	sandboxBalance       = 100 * openwaba.MicrosPerUnit
)

func startGateway(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) (g *gateway, err error) {
	g = &gateway{log: log}
	defer func() {
		if err != nil {
			g.closeAll()
		}
	}()
	g.store, err = openConfiguredStore(ctx, cfg.store(), false, log)
	if err != nil {
		return nil, err
	}

	// Listen before anything else so the sandbox knows where to send
	// webhooks, even with port 0.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	g.Addr = ln.Addr().String()

	metaCfg := meta.Config{GraphURL: cfg.MetaGraphURL, APIVersion: cfg.MetaAPIVersion, AccessToken: cfg.MetaAccessToken, Logger: log, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	appSecret, verifyToken := cfg.MetaAppSecret, cfg.MetaVerifyToken
	if cfg.sandbox() {
		if appSecret == "" {
			appSecret = rand.Text()
		}
		metaCfg.AccessToken = rand.Text()
		metaCfg.GraphURL, err = g.startSandbox(cfg, metaCfg.AccessToken, appSecret, webhookURL(g.Addr), log)
		if err != nil {
			ln.Close()
			return nil, err
		}
	}
	upstream := meta.NewClient(metaCfg)

	if err := exclusive(ctx, g.store, "bootstrap", func(ctx context.Context) error {
		return bootstrap(ctx, g.store, cfg, stdout, log)
	}); err != nil {
		ln.Close()
		return nil, err
	}
	syncTemplates(ctx, g.store, upstream, log)

	d := dispatch.New(dispatch.Config{Store: g.store, Upstream: upstream, Logger: log})
	var sandboxInbound api.SandboxInbound
	if g.sandbox != nil {
		sandboxInbound = g.sandbox
	}
	g.api = api.New(api.Config{
		Store: g.store, Upstream: upstream, Pricer: pricing.Default(), Logger: log, Notify: d.Notify,
		Sandbox: sandboxInbound,
		MetaWebhook: meta.NewWebhookHandler(meta.WebhookConfig{
			AppSecret: appSecret, VerifyToken: verifyToken, Logger: log,
			Sink: &receive.Sink{Store: g.store, Logger: log},
		}),
	})
	g.server = &http.Server{Handler: g.api, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g.stopDispatch = cancel
	g.background.Go(func() {
		if err := d.Run(dctx); err != nil {
			log.Error("dispatcher stopped", "err", err)
		}
	})
	g.background.Go(func() {
		if err := g.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "err", err)
		}
	})
	g.api.SetReady(true)
	upstreamName := "Meta at " + cfg.MetaGraphURL
	if cfg.sandbox() {
		upstreamName = "sandbox at " + metaCfg.GraphURL
	}
	log.Info("openwaba is ready", "addr", "http://"+g.Addr, "upstream", upstreamName, "store", cfg.store().describe())
	return g, nil
}

func (g *gateway) startSandbox(cfg config, token, appSecret, hookURL string, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", cfg.SandboxAddr)
	if err != nil {
		return "", fmt.Errorf("sandbox: listening on %s: %w", cfg.SandboxAddr, err)
	}
	g.sandbox = sandbox.New(sandbox.Config{
		AccessToken: token, AppSecret: appSecret, WebhookURL: hookURL,
		Logger: log.With("component", "sandbox"), StatusDelay: cfg.SandboxStatusDelay,
		WindowSource: g.windowFromStore,
	})
	g.sandbox.AddNumber(sandboxPhoneNumberID, sandboxWABAID, sandboxNumber)
	g.sandboxSrv = &http.Server{Handler: g.sandbox, ReadHeaderTimeout: 10 * time.Second}
	g.background.Go(func() {
		if err := g.sandboxSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox stopped", "err", err)
		}
	})
	return "http://" + ln.Addr().String(), nil
}

// windowFromStore tells the sandbox about windows it has forgotten in a
// restart, from the same inbound messages the gateway stored.
func (g *gateway) windowFromStore(phoneNumberID, waID string) time.Time {
	ctx := context.Background()
	sender, err := g.store.SenderByPhoneNumberID(ctx, phoneNumberID)
	if err != nil {
		return time.Time{}
	}
	until, err := g.store.WindowOpenUntil(ctx, sender.Number, waID)
	if err != nil {
		g.log.Warn("sandbox: reading window", "err", err)
	}
	return until
}

// webhookURL is where the sandbox reaches the gateway's Meta webhook.
func webhookURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/webhooks/meta"
}

// Shutdown stops taking requests, lets requests and sends in flight
// finish, and closes the database.
func (g *gateway) Shutdown(ctx context.Context) error {
	g.api.SetReady(false)
	err := g.server.Shutdown(ctx)
	g.stopDispatch()
	done := make(chan struct{})
	go func() {
		if g.sandboxSrv != nil {
			_ = g.sandboxSrv.Shutdown(ctx)
		}
		g.background.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("shutdown: %w", ctx.Err()))
	}
	g.closeAll()
	return err
}

func (g *gateway) closeAll() {
	if g.sandbox != nil {
		g.sandbox.Close()
	}
	if g.store != nil {
		if err := g.store.Close(); err != nil {
			g.log.Error("closing database", "err", err)
		}
	}
}
