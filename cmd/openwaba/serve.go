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
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/console"
	"github.com/openwaba/openwaba/internal/dispatch"
	"github.com/openwaba/openwaba/internal/limit"
	"github.com/openwaba/openwaba/internal/media"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/metaspec"
	"github.com/openwaba/openwaba/internal/metrics"
	"github.com/openwaba/openwaba/internal/pricing"
	"github.com/openwaba/openwaba/internal/receive"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/store/cached"
	"github.com/openwaba/openwaba/internal/templates"
	"github.com/openwaba/openwaba/internal/tracking"
	"github.com/openwaba/openwaba/internal/webhook"
)

// serveCommand runs the gateway until ctx ends, then drains and stops it.
func serveCommand(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat, stderr)
	if err != nil {
		return err
	}
	g, err := startGateway(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down: draining requests and sends in flight", "grace", cfg.DrainGrace, "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.DrainGrace+cfg.ShutdownTimeout)
	defer cancel()
	return g.Shutdown(shutdownCtx)
}

// gateway is a running openwaba: HTTP server, dispatcher, store and, in
// sandbox mode, the sandbox's fake Graph API.
type gateway struct {
	Addr string // the address the API listens on
	log  *slog.Logger
	// drainGrace is how long /healthz and /readyz answer 503 before the
	// listener closes (Shutdown).
	drainGrace time.Duration

	store      openwaba.Store
	ln         net.Listener // the API's, until server serves it
	server     *http.Server
	api        *api.Server
	sandbox    *sandbox.Sandbox
	sandboxSrv *http.Server
	metrics    *metrics.Metrics
	debugSrv   *http.Server // pprof's, with --debug-addr
	DebugAddr  string       // the address pprof listens on

	stopDispatch context.CancelFunc
	background   sync.WaitGroup
}

// Sandbox defaults: the number seven's examples send from, and the Meta
// ids the sandbox knows it by.
const (
	sandboxStateFile     = "sandbox-owed.json" // in the data dir
	sandboxNumber        = "4915112345678"
	sandboxPhoneNumberID = "100000000000001"
	sandboxWABAID        = "200000000000001"
	sandboxBalance       = 100 * openwaba.MicrosPerUnit
)

// startGateway starts a gateway, or returns why it could not with
// everything it had opened closed again.
func startGateway(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) (*gateway, error) {
	g := &gateway{log: log, drainGrace: cfg.DrainGrace}
	started := false
	defer func() {
		if !started {
			g.abandon()
		}
	}()
	// Listen before anything else: a port in use fails the start before
	// the database is touched, and the sandbox knows where to send
	// webhooks, even with port 0.
	var err error
	g.ln, err = cfg.listen(cfg.Addr, true, log)
	if err != nil {
		return nil, err
	}
	g.Addr = g.ln.Addr().String()
	if err := g.startDebug(cfg); err != nil {
		return nil, err
	}
	g.store, err = openConfiguredStore(ctx, cfg.store(), false, log)
	if err != nil {
		return nil, err
	}
	g.metrics = g.newMetrics()

	metaCfg := meta.Config{GraphURL: cfg.MetaGraphURL, APIVersion: cfg.MetaAPIVersion, AccessToken: cfg.MetaAccessToken, Logger: log, HTTPClient: meta.NewHTTPClient(cfg.DispatchMaxInFlight)}
	appSecret, verifyToken := cfg.MetaAppSecret, cfg.MetaVerifyToken
	if cfg.sandbox() {
		if appSecret == "" {
			appSecret = rand.Text()
		}
		metaCfg.AccessToken = rand.Text()
		metaCfg.GraphURL, err = g.startSandbox(cfg, metaCfg.AccessToken, appSecret, webhookURL(g.Addr), log)
		if err != nil {
			return nil, err
		}
	}
	upstream := meta.NewClient(metaCfg)

	if err := exclusive(ctx, g.store, "bootstrap", func(ctx context.Context) error {
		return bootstrap(ctx, g.store, cfg, stdout, log)
	}); err != nil {
		return nil, err
	}
	syncer := &templates.Syncer{Store: g.store, Source: upstream, Logger: log}
	syncer.SyncAndLog(ctx)

	fetchClient := webhook.NewClient(2*time.Minute, cfg.WebhookAllowPrivate)
	// The lookups of every request, claim and delivery, from memory;
	// each request and each claim refreshes it first.
	reads := cached.New(g.store)
	dcfg := dispatch.Config{
		Store: g.store, Reads: reads, Upstream: upstream, Logger: log, Lease: cfg.DispatchLease, SenderLease: cfg.SenderLease,
		MaxInFlight: cfg.DispatchMaxInFlight, MaxInFlightPerSender: cfg.DispatchMaxInFlightPerSender,
		FetchMedia: func(ctx context.Context, accountID int64, url string) (int64, error) {
			return media.Fetch(ctx, fetchClient, g.store, accountID, url, cfg.MediaRetention)
		},
	}
	if cfg.DatabaseURL != "" {
		// Other nodes may share the database: pace each sender on one
		// node at a time.
		dcfg.Node = nodeName()
		log.Info("sharing senders with other nodes", "node", dcfg.Node)
	}
	dcfg.Metrics = g.metrics
	d := dispatch.New(dcfg)
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = "http://" + g.Addr
	}
	mediaKey, err := g.store.MediaSecret(ctx)
	if err != nil {
		return nil, err
	}
	signer := &media.Signer{Key: mediaKey, PublicURL: strings.TrimRight(publicURL, "/"), Lifetime: cfg.MediaURLLifetime}
	hooks := webhook.New(webhook.Config{
		Store: g.store, Logger: log.With("component", "webhooks"),
		Timeout: cfg.WebhookTimeout, AllowPrivate: cfg.WebhookAllowPrivate, Workers: cfg.WebhookWorkers,
		Secret: accountSigningSecret(reads), Refresh: reads.Refresh, LinkURL: tracking.Shortener{Base: publicURL}.LinkURL,
		Metrics: g.metrics,
		MediaURL: func(_ context.Context, accountID, fileID int64, now time.Time) (string, error) {
			u, _ := signer.URL(accountID, fileID, now)
			return u, nil
		},
	})
	downloads := media.NewDownloader(media.DownloaderConfig{
		Store: g.store, Source: upstream, Logger: log.With("component", "media"),
		Lease: cfg.MediaDownloadLease, Retention: cfg.MediaRetention, RetryBase: cfg.mediaRetryBase, Stored: hooks.Notify,
	})
	var sandboxInbound api.SandboxInbound
	if g.sandbox != nil {
		sandboxInbound = g.sandbox
	}
	unauthenticated := limit.NewRequests(cfg.MaxUnauthenticatedPerIP).Wrap
	g.api = api.New(api.Config{
		Store: g.store, Reads: reads, Upstream: upstream, Pricer: pricing.Stored{Source: reads, Fallback: pricing.Default()}, Logger: log, Notify: d.Notify,
		Sandbox: sandboxInbound, RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, NotifyHooks: hooks.Notify, HookHeld: hooks.HeldUntil, PublicURL: publicURL,
		Unauthenticated: unauthenticated,
		Metrics:         g.metrics, MetricsHandler: g.metricsHandler(cfg),
		CheckHookTarget: func(ctx context.Context, url string) error {
			return webhook.CheckTarget(ctx, url, cfg.WebhookAllowPrivate, nil)
		},
		MediaSigner: signer, MediaRetention: cfg.MediaRetention,
		// A customer's file is fetched as webhooks are sent: never from
		// the gateway's own network, no redirects.
		FetchClient: fetchClient,
		MetaWebhook: meta.NewWebhookHandler(meta.WebhookConfig{
			AppSecret: appSecret, VerifyToken: verifyToken, Logger: log,
			Sink: &receive.Sink{Store: g.store, Logger: log, Metrics: g.metrics,
				Applied: hooks.Notify, Received: downloads.Notify},
		}),
	})
	// The web console calls the API in-process (the same handlers and
	// rules) and is bounded like the API's routes without a key.
	cons, err := console.New(console.Config{
		API: g.api, Store: g.store, Logger: log.With("component", "console"), Sandbox: g.sandbox != nil, SessionSecret: []byte(cfg.ConsoleSecret),
		SyncTemplates: func(ctx context.Context) error { _, err := syncer.Sync(ctx); return err },
	})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	g.server = cfg.httpServer(g.observed(cons.Wrap(g.api, unauthenticated)), log)

	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g.stopDispatch = cancel
	if cfg.TemplateSyncInterval > 0 {
		g.background.Go(func() { syncer.Run(dctx, cfg.TemplateSyncInterval) })
	}
	g.background.Go(func() { watchSenders(dctx, g.store, syncer, cfg.SenderWatchInterval, log) })
	g.background.Go(func() {
		if err := hooks.Run(dctx); err != nil {
			log.Error("webhook deliverer stopped", "err", err)
		}
	})
	g.background.Go(func() { downloads.Run(dctx) })
	g.background.Go(func() { media.Sweep(dctx, g.store, time.Hour, nil, log.With("component", "media")) })
	g.background.Go(func() {
		if err := d.Run(dctx); err != nil {
			log.Error("dispatcher stopped", "err", err)
		}
	})
	ln := g.ln
	g.ln = nil // the server closes it from now on
	g.background.Go(func() {
		if err := g.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "err", err)
		}
	})
	g.api.SetReady(true)
	started = true
	upstreamName := "Meta at " + cfg.MetaGraphURL
	if cfg.sandbox() {
		upstreamName = "sandbox at " + metaCfg.GraphURL
	}
	log.Info("openwaba is ready", "addr", "http://"+g.Addr, "console", "http://"+g.Addr+"/", "upstream", upstreamName, "store", cfg.store().describe())
	return g, nil
}

func (g *gateway) startSandbox(cfg config, token, appSecret, hookURL string, log *slog.Logger) (string, error) {
	// The sandbox checks every request against Meta's OpenAPI schemas, so
	// that what works against it is what Meta documents.
	spec := cfg.sandboxSpec
	if spec == nil {
		var err error
		if spec, err = metaspec.Load(); err != nil {
			return "", fmt.Errorf("sandbox: %w", err)
		}
	}
	sbCfg := sandbox.Config{
		AccessToken: token, AppSecret: appSecret, WebhookURL: hookURL,
		Logger: log.With("component", "sandbox"), StatusDelay: cfg.SandboxStatusDelay,
		WindowSource: g.windowFromStore, InboundSource: g.inboundFromStore, Spec: spec,
		Numbers: numbersFromStore(g.store),
	}
	if cfg.SandboxRateLimits {
		limits := sandbox.MetaRateLimits()
		sbCfg.RateLimits = &limits
	}
	// The status webhooks the sandbox owes live in the data dir, so that
	// a restart does not leave messages queued or sent for good.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("sandbox: creating data dir: %w", err)
	}
	var err error
	g.sandbox, err = sandbox.Open(sbCfg, filepath.Join(cfg.DataDir, sandboxStateFile))
	if err != nil {
		return "", err
	}
	g.sandbox.AddNumber(sandboxPhoneNumberID, sandboxWABAID, sandboxNumber)
	var url string
	g.sandboxSrv, url, err = serveOn(cfg, cfg.SandboxAddr, g.sandbox, &g.background, log)
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	return url, nil
}

// serveOn listens on addr and serves h in the background, tracked by wg,
// with the timeouts and the connection cap of cfg but no per-client caps:
// it serves the sandbox, which only the gateway itself talks to, over as
// many connections as it has sends in flight. It returns the server (to
// shut down) and its base URL.
func serveOn(cfg config, addr string, h http.Handler, wg *sync.WaitGroup, log *slog.Logger) (*http.Server, string, error) {
	ln, err := cfg.listen(addr, false, log)
	if err != nil {
		return nil, "", err
	}
	srv := cfg.httpServer(h, log)
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "addr", addr, "err", err)
		}
	})
	return srv, "http://" + ln.Addr().String(), nil
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

// inboundFromStore tells the sandbox whether a number received a message
// it has forgotten in a restart (or that another node's sandbox played),
// from the inbound messages the gateway stored.
func (g *gateway) inboundFromStore(ctx context.Context, phoneNumberID, wamid string) bool {
	sender, err := g.store.SenderByPhoneNumberID(ctx, phoneNumberID)
	if err != nil {
		return false
	}
	in, err := g.store.InboundByWAMID(ctx, sender.AccountID, wamid)
	if err != nil {
		if !errors.Is(err, openwaba.ErrNotFound) {
			g.log.Warn("sandbox: reading inbound message", "err", err)
		}
		return false
	}
	return in.Sender == sender.Number
}

// webhookURL is where the sandbox reaches the gateway's Meta webhook.
func webhookURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/webhooks/meta"
}

// Shutdown drains and stops the gateway: /healthz and /readyz answer 503
// for the drain grace while every other request is still served, so that
// load balancers take the node out first; then the listener closes,
// requests and sends in flight finish, and the database closes.
func (g *gateway) Shutdown(ctx context.Context) error {
	g.drain(ctx)
	err := g.server.Shutdown(ctx)
	g.stopDispatch()
	g.stopDebug()
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

// drain answers 503 on the health checks for the grace (or until ctx
// ends). Keep-alives end meanwhile: each response closes its connection,
// so that clients reconnect, through a balancer that has taken the node
// out, to another node, instead of racing the close of an idle connection.
func (g *gateway) drain(ctx context.Context) {
	g.api.SetReady(false)
	if g.drainGrace <= 0 {
		return
	}
	g.server.SetKeepAlivesEnabled(false)
	g.log.Info("draining: /healthz and /readyz answer 503 before the listener closes", "grace", g.drainGrace)
	t := time.NewTimer(g.drainGrace)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// abandon undoes a start that failed part way: any of what it closes may
// not have been opened yet. Only the sandbox's and the debug servers can
// have a goroutine running then.
func (g *gateway) abandon() {
	if g.ln != nil {
		g.ln.Close()
	}
	if g.sandboxSrv != nil {
		_ = g.sandboxSrv.Close()
	}
	g.stopDebug()
	g.background.Wait()
	g.closeAll()
}

// closeAll closes the sandbox and the database, whichever is open.
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

// accountSigningSecret is the secret customer webhooks are signed with:
// the account's signing secret (openwaba accounts signing); an account
// without one gets unsigned webhooks.
func accountSigningSecret(reads *cached.Reads) func(ctx context.Context, accountID int64) (string, error) {
	return func(ctx context.Context, accountID int64) (string, error) {
		a, err := reads.Account(ctx, accountID)
		if err != nil {
			return "", err
		}
		return a.SigningSecret, nil
	}
}

// nodeName names this process among the gateway nodes on one database.
func nodeName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "node"
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:6])
}
