package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/metaspec"
)

// config is the gateway's configuration: flags, each defaulting to its
// OPENWABA_* environment variable, then to a value that needs nothing.
type config struct {
	Addr    string
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://...) instead of SQLite
	// in DataDir.
	DatabaseURL string
	APIKey      string
	LogLevel    string
	// TimeZone is the default account's zone for delay dates without
	// one; empty leaves the stored zone (UTC unless set before).
	TimeZone string

	MetaGraphURL    string
	MetaAPIVersion  string
	MetaAccessToken string
	MetaAppSecret   string
	MetaVerifyToken string

	SandboxAddr        string
	SandboxStatusDelay time.Duration

	TemplateSyncInterval time.Duration

	PublicURL string

	// DispatchLease is how long a node holds a claimed message; a node
	// that dies mid-send leaves its messages to others after it.
	DispatchLease time.Duration
	// SenderLease is how long a node paces a sender without renewing
	// (several nodes on PostgreSQL).
	SenderLease time.Duration

	WebhookAllowPrivate bool
	WebhookTimeout      time.Duration
	// RateLimit is the requests per second each API key may make (0: no
	// limit); RateBurst the burst it may make at once.
	RateLimit float64
	RateBurst int
	// SandboxRateLimits has the sandbox refuse sends over Meta's
	// documented limits (80/s per number, a burst of 10 then one per 6 s
	// per user), so that pacing and retries meet real refusals.
	SandboxRateLimits bool

	// Timeouts of both listeners (the API's and the sandbox's); zero does
	// not limit, as in net/http.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxConnections caps the open connections of each listener (0: no
	// cap); MaxConnectionsPerIP those of one client on the API's, and
	// MaxUnauthenticatedPerIP its requests in flight on the routes that
	// take no API key (see internal/limit).
	MaxConnections          int
	MaxConnectionsPerIP     int
	MaxUnauthenticatedPerIP int
	// DrainGrace is how long /healthz and /readyz answer 503 after
	// SIGTERM before the listener closes; ShutdownTimeout how long
	// requests and sends in flight then have to finish.
	DrainGrace      time.Duration
	ShutdownTimeout time.Duration

	observeConfig // --log-format, --metrics-allow, --debug-addr

	// sandboxSpec, when set, is the compiled OpenAPI spec the sandbox
	// checks requests against; loaded at start when nil. Not a flag: it
	// lets tests that start many gateways compile it once.
	sandboxSpec *metaspec.Spec
}

// Defaults of the connection settings (flags; tests use them too).
const (
	defaultReadHeaderTimeout       = 10 * time.Second
	defaultReadTimeout             = 30 * time.Second
	defaultWriteTimeout            = 60 * time.Second
	defaultIdleTimeout             = 75 * time.Second
	defaultMaxConnectionsPerIP     = 256
	defaultMaxUnauthenticatedPerIP = 64
	defaultDrainGrace              = 5 * time.Second
	defaultShutdownTimeout         = 60 * time.Second
)

// sandbox reports whether the built-in sandbox is the upstream: it is
// unless a Meta access token is configured.
func (c config) sandbox() bool { return c.MetaAccessToken == "" }

func (c config) store() storeConfig {
	return storeConfig{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL}
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("OPENWABA_ADDR", "127.0.0.1:8080"), "listen address (OPENWABA_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("OPENWABA_DATA_DIR", "./data"), "directory of the SQLite database (OPENWABA_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("OPENWABA_DATABASE_URL", ""), "PostgreSQL URL, postgres://user:pass@host/db; when set, PostgreSQL holds the state instead of SQLite in the data dir (OPENWABA_DATABASE_URL)")
	fs.StringVar(&c.APIKey, "api-key", env("OPENWABA_API_KEY", ""), "API key of the default account (OPENWABA_API_KEY); generated and printed once when empty")
	fs.StringVar(&c.TimeZone, "time-zone", env("OPENWABA_TIME_ZONE", ""), "IANA time zone (Europe/Berlin) of the default account, in which delay dates without an offset are read; UTC when never set (OPENWABA_TIME_ZONE)")
	fs.StringVar(&c.LogLevel, "log-level", env("OPENWABA_LOG_LEVEL", "info"), "debug, info, warn or error (OPENWABA_LOG_LEVEL)")
	fs.StringVar(&c.MetaGraphURL, "meta-graph-url", env("OPENWABA_META_GRAPH_URL", "https://graph.facebook.com"), "Meta Graph API base URL (OPENWABA_META_GRAPH_URL)")
	fs.StringVar(&c.MetaAPIVersion, "meta-api-version", env("OPENWABA_META_API_VERSION", "v23.0"), "Graph API version (OPENWABA_META_API_VERSION)")
	fs.StringVar(&c.MetaAccessToken, "meta-access-token", env("OPENWABA_META_ACCESS_TOKEN", ""), "Meta access token; when set, Meta is the upstream instead of the sandbox (OPENWABA_META_ACCESS_TOKEN)")
	fs.StringVar(&c.MetaAppSecret, "meta-app-secret", env("OPENWABA_META_APP_SECRET", ""), "Meta app secret that signs webhooks (OPENWABA_META_APP_SECRET)")
	fs.StringVar(&c.MetaVerifyToken, "meta-verify-token", env("OPENWABA_META_VERIFY_TOKEN", ""), "token for Meta's webhook verification handshake (OPENWABA_META_VERIFY_TOKEN)")
	fs.StringVar(&c.SandboxAddr, "sandbox-addr", env("OPENWABA_SANDBOX_ADDR", "127.0.0.1:0"), "listen address of the sandbox's fake Graph API (OPENWABA_SANDBOX_ADDR)")
	delay, err := time.ParseDuration(env("OPENWABA_SANDBOX_STATUS_DELAY", "1s"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_SANDBOX_STATUS_DELAY: %w", err)
	}
	fs.DurationVar(&c.SandboxStatusDelay, "sandbox-status-delay", delay, "gap between the sandbox's sent, delivered and read reports (OPENWABA_SANDBOX_STATUS_DELAY)")
	syncEvery, err := time.ParseDuration(env("OPENWABA_TEMPLATE_SYNC_INTERVAL", "1h"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_TEMPLATE_SYNC_INTERVAL: %w", err)
	}
	fs.DurationVar(&c.TemplateSyncInterval, "template-sync-interval", syncEvery, "how often templates are fetched from WhatsApp; 0 only at start (OPENWABA_TEMPLATE_SYNC_INTERVAL)")
	fs.StringVar(&c.PublicURL, "public-url", env("OPENWABA_PUBLIC_URL", ""), "the gateway's address as users reach it, for short links (OPENWABA_PUBLIC_URL); http://ADDR when empty")
	dispatchLease, err := time.ParseDuration(env("OPENWABA_DISPATCH_LEASE", "2m"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_DISPATCH_LEASE: %w", err)
	}
	fs.DurationVar(&c.DispatchLease, "dispatch-lease", dispatchLease, "how long a node holds a claimed message before another node may take it over (OPENWABA_DISPATCH_LEASE); renewed every third of it while the node works on the message, so it is how soon a dead node's messages move")
	senderLease, err := time.ParseDuration(env("OPENWABA_SENDER_LEASE", "15s"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_SENDER_LEASE: %w", err)
	}
	fs.DurationVar(&c.SenderLease, "sender-lease", senderLease, "with several nodes: how long a node paces a sender without renewing, so how soon a dead node's senders move (OPENWABA_SENDER_LEASE)")
	hookTimeout, err := time.ParseDuration(env("OPENWABA_WEBHOOK_TIMEOUT", "5s"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_WEBHOOK_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", hookTimeout, "time limit of one attempt to deliver a webhook to a customer (OPENWABA_WEBHOOK_TIMEOUT)")
	allowPrivate, err := parseBool(env("OPENWABA_WEBHOOK_ALLOW_PRIVATE", "false"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_WEBHOOK_ALLOW_PRIVATE: %w", err)
	}
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", allowPrivate, "let customer webhooks go to loopback and private addresses, for local development (OPENWABA_WEBHOOK_ALLOW_PRIVATE)")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "requests per second each API key may make; 0 for no limit (OPENWABA_RATE_LIMIT)")
	fs.IntVar(&c.RateBurst, "rate-burst", 0, "requests an API key may make at once before the rate limit applies; 0 for the rate limit rounded up (OPENWABA_RATE_BURST)")
	if v := getenv("OPENWABA_RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) { // NaN fails f >= 0
			return c, fmt.Errorf("OPENWABA_RATE_LIMIT: %q is not a number of requests per second", v)
		}
		c.RateLimit = f
	}
	if v := getenv("OPENWABA_RATE_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("OPENWABA_RATE_BURST: %q is not a number of requests", v)
		}
		c.RateBurst = n
	}
	limits, err := strconv.ParseBool(env("OPENWABA_SANDBOX_RATE_LIMITS", "true"))
	if err != nil {
		return c, fmt.Errorf("OPENWABA_SANDBOX_RATE_LIMITS: %w", err)
	}
	fs.BoolVar(&c.SandboxRateLimits, "sandbox-rate-limits", limits, "the sandbox enforces Meta's throughput and pair rate limits (OPENWABA_SANDBOX_RATE_LIMITS)")
	if err := connectionFlags(fs, &c, getenv); err != nil {
		return c, err
	}
	if err := observeFlags(fs, &c, getenv); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := checkConnectionFlags(c); err != nil {
		return c, err
	}
	// strconv (and so the flag package) reads "NaN" and "Inf" as numbers;
	// NaN compares false with every bound and would make the burst garbage.
	if !(c.RateLimit >= 0) || math.IsInf(c.RateLimit, 0) || c.RateBurst < 0 {
		return c, fmt.Errorf("--rate-limit must be a finite number and --rate-burst an integer, neither negative")
	}
	if _, err := openwaba.LoadTimeZone(c.TimeZone); err != nil {
		return c, fmt.Errorf("OPENWABA_TIME_ZONE: %w", err)
	}
	if !c.sandbox() && c.MetaAppSecret == "" {
		return c, fmt.Errorf("OPENWABA_META_APP_SECRET is required with a Meta access token: without it webhooks cannot be verified")
	}
	return c, nil
}

// parseBool reads a boolean setting: true/false, 1/0, yes/no.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean: use true or false", v)
}
