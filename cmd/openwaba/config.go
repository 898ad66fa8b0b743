package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/pflag"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/dispatch"
	"github.com/openwaba/openwaba/internal/media"
	"github.com/openwaba/openwaba/internal/metaspec"
	"github.com/openwaba/openwaba/internal/webhook"
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

	// ConsoleSecret signs the web console's session cookies; random per
	// start when empty.
	ConsoleSecret string

	// DispatchLease is how long a node holds a claimed message; a node
	// that dies mid-send leaves its messages to others after it.
	DispatchLease time.Duration
	// SenderLease is how long a node paces a sender without renewing
	// (several nodes on PostgreSQL).
	SenderLease time.Duration
	// DispatchMaxInFlight bounds a node's claimed messages being sent at
	// once, and so its connections to Meta; DispatchMaxInFlightPerSender
	// one sender's share, which the dispatcher sizes by the sender's pace
	// and the observed latency.
	DispatchMaxInFlight          int
	DispatchMaxInFlightPerSender int

	WebhookAllowPrivate bool
	WebhookTimeout      time.Duration
	WebhookWorkers      int
	CommitGather        time.Duration

	// MediaRetention is how long files are kept when the account sets
	// no retention; MediaURLLifetime how long a wa_mo's media_url works;
	// MediaDownloadLease how long a node holds a claimed inbound download
	// (and how long one download may take).
	MediaRetention     time.Duration
	MediaURLLifetime   time.Duration
	MediaDownloadLease time.Duration
	// mediaRetryBase is the first wait after a failed download of a
	// user's media (openwaba.DefaultMediaRetry when zero). Not a flag:
	// tests shorten it.
	mediaRetryBase time.Duration
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

	// SenderWatchInterval is how often the gateway looks for senders of
	// new WABAs, to sync their templates (defaultSenderWatch when zero).
	// Not a flag: tests shorten it.
	SenderWatchInterval time.Duration

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
	return storeConfig{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL, CommitGather: c.CommitGather}
}

// serveFlags defines serve's flags on fs, into c: each with the default
// the README's configuration table documents and bound to its OPENWABA_*
// variable (applyEnv). The global --data-dir and --database-url are
// storeFlags.
func serveFlags(fs *pflag.FlagSet, c *config) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
	bindEnv(fs, "addr", "OPENWABA_ADDR")
	fs.StringVar(&c.APIKey, "api-key", "", "API key of the default account; generated and printed once when empty")
	bindEnv(fs, "api-key", "OPENWABA_API_KEY")
	fs.StringVar(&c.TimeZone, "time-zone", "", "IANA time zone (Europe/Berlin) of the default account, in which delay dates without an offset are read; UTC when never set")
	bindEnv(fs, "time-zone", "OPENWABA_TIME_ZONE")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	bindEnv(fs, "log-level", "OPENWABA_LOG_LEVEL")
	fs.StringVar(&c.MetaGraphURL, "meta-graph-url", "https://graph.facebook.com", "Meta Graph API base URL")
	bindEnv(fs, "meta-graph-url", "OPENWABA_META_GRAPH_URL")
	fs.StringVar(&c.MetaAPIVersion, "meta-api-version", "v23.0", "Graph API version")
	bindEnv(fs, "meta-api-version", "OPENWABA_META_API_VERSION")
	fs.StringVar(&c.MetaAccessToken, "meta-access-token", "", "Meta access token; when set, Meta is the upstream instead of the sandbox")
	bindEnv(fs, "meta-access-token", "OPENWABA_META_ACCESS_TOKEN")
	fs.StringVar(&c.MetaAppSecret, "meta-app-secret", "", "Meta app secret that signs webhooks")
	bindEnv(fs, "meta-app-secret", "OPENWABA_META_APP_SECRET")
	fs.StringVar(&c.MetaVerifyToken, "meta-verify-token", "", "token for Meta's webhook verification handshake")
	bindEnv(fs, "meta-verify-token", "OPENWABA_META_VERIFY_TOKEN")
	fs.StringVar(&c.SandboxAddr, "sandbox-addr", "127.0.0.1:0", "listen address of the sandbox's fake Graph API")
	bindEnv(fs, "sandbox-addr", "OPENWABA_SANDBOX_ADDR")
	fs.DurationVar(&c.SandboxStatusDelay, "sandbox-status-delay", time.Second, "gap between the sandbox's sent, delivered and read reports")
	bindEnv(fs, "sandbox-status-delay", "OPENWABA_SANDBOX_STATUS_DELAY")
	fs.DurationVar(&c.TemplateSyncInterval, "template-sync-interval", time.Hour, "how often templates are fetched from WhatsApp; 0 only at start (and when senders change)")
	bindEnv(fs, "template-sync-interval", "OPENWABA_TEMPLATE_SYNC_INTERVAL")
	fs.StringVar(&c.PublicURL, "public-url", "", "the gateway's address as users reach it, for short links; http://ADDR when empty")
	bindEnv(fs, "public-url", "OPENWABA_PUBLIC_URL")
	fs.StringVar(&c.ConsoleSecret, "console-secret", "", "signs the web console's sessions; gateways behind one address need the same one; random per start when empty (a restart signs everyone out)")
	bindEnv(fs, "console-secret", "OPENWABA_CONSOLE_SECRET")
	fs.DurationVar(&c.DispatchLease, "dispatch-lease", 2*time.Minute, "how long a node holds a claimed message before another node may take it over; renewed every third of it while the node works on the message, so it is how soon a dead node's messages move")
	bindEnv(fs, "dispatch-lease", "OPENWABA_DISPATCH_LEASE")
	fs.IntVar(&c.DispatchMaxInFlight, "dispatch-max-in-flight", dispatch.DefaultMaxInFlight, "most messages a node sends at once, all senders together (being paced, sent or recorded); also its connections to Meta")
	bindEnv(fs, "dispatch-max-in-flight", "OPENWABA_DISPATCH_MAX_IN_FLIGHT")
	fs.IntVar(&c.DispatchMaxInFlightPerSender, "dispatch-max-in-flight-per-sender", dispatch.DefaultMaxInFlightPerSender, "most messages one sender has in flight; within it each sender gets its MPS × Meta's observed latency × 1.5")
	bindEnv(fs, "dispatch-max-in-flight-per-sender", "OPENWABA_DISPATCH_MAX_IN_FLIGHT_PER_SENDER")
	fs.DurationVar(&c.SenderLease, "sender-lease", 15*time.Second, "with several nodes: how long a node paces a sender without renewing, so how soon a dead node's senders move")
	bindEnv(fs, "sender-lease", "OPENWABA_SENDER_LEASE")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", 5*time.Second, "time limit of one attempt to deliver a webhook to a customer")
	bindEnv(fs, "webhook-timeout", "OPENWABA_WEBHOOK_TIMEOUT")
	fs.IntVar(&c.WebhookWorkers, "webhook-workers", webhook.DefaultWorkers, "customer webhooks a node delivers at once, all hooks together (a message's own events still go one after the other); also its connections per receiver")
	bindEnv(fs, "webhook-workers", "OPENWABA_WEBHOOK_WORKERS")
	fs.DurationVar(&c.CommitGather, "commit-gather", 0, "SQLite: how long the busy writer may wait for more writes to share a commit (e.g. 1ms: less CPU per message, more latency per write; 0: none)")
	bindEnv(fs, "commit-gather", "OPENWABA_COMMIT_GATHER")
	fs.DurationVar(&c.MediaRetention, "media-retention", openwaba.DefaultMediaRetention, "how long media files (received and uploaded) are kept, unless the account sets its own")
	bindEnv(fs, "media-retention", "OPENWABA_MEDIA_RETENTION")
	fs.DurationVar(&c.MediaURLLifetime, "media-url-lifetime", media.DefaultURLLifetime, "how long the signed media_url of a wa_mo webhook works (signed anew at each delivery attempt)")
	bindEnv(fs, "media-url-lifetime", "OPENWABA_MEDIA_URL_LIFETIME")
	fs.DurationVar(&c.MediaDownloadLease, "media-download-lease", media.DefaultDownloadLease, "how long one download of a user's media may take; a node that dies mid-download leaves it to others after it")
	bindEnv(fs, "media-download-lease", "OPENWABA_MEDIA_DOWNLOAD_LEASE")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "let customer webhooks go to loopback and private addresses, for local development")
	bindEnv(fs, "webhook-allow-private", "OPENWABA_WEBHOOK_ALLOW_PRIVATE")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "requests per second each API key may make; 0 for no limit")
	bindEnv(fs, "rate-limit", "OPENWABA_RATE_LIMIT")
	fs.IntVar(&c.RateBurst, "rate-burst", 0, "requests an API key may make at once before the rate limit applies; 0 for the rate limit rounded up")
	bindEnv(fs, "rate-burst", "OPENWABA_RATE_BURST")
	fs.BoolVar(&c.SandboxRateLimits, "sandbox-rate-limits", true, "the sandbox enforces Meta's throughput and pair rate limits")
	bindEnv(fs, "sandbox-rate-limits", "OPENWABA_SANDBOX_RATE_LIMITS")
	connectionFlags(fs, c)
	observeFlags(fs, c)
}

// parseServeFlags parses serve's command line, global flags included,
// and fills in the environment: serve's flags outside the command tree
// (tests).
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var store storeConfig
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	storeFlags(fs, &store)
	serveFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := applyEnv(fs, getenv); err != nil {
		return c, err
	}
	c.DataDir, c.DatabaseURL = store.DataDir, store.DatabaseURL
	return c, c.check(fs)
}

// check refuses what the flag types let through; fs names where a value
// came from.
func (c config) check(fs *pflag.FlagSet) error {
	if err := checkConnectionFlags(c); err != nil {
		return err
	}
	// strconv (and so the flag package) reads "NaN" and "Inf" as numbers;
	// NaN compares false with every bound and would make the burst garbage.
	if !(c.RateLimit >= 0) || math.IsInf(c.RateLimit, 0) || c.RateBurst < 0 {
		return fmt.Errorf("%s must be a finite number and %s an integer, neither negative", flagName(fs, "rate-limit"), flagName(fs, "rate-burst"))
	}
	if c.DispatchMaxInFlight < 1 || c.DispatchMaxInFlightPerSender < 1 {
		return fmt.Errorf("%s and %s must be at least 1", flagName(fs, "dispatch-max-in-flight"), flagName(fs, "dispatch-max-in-flight-per-sender"))
	}
	if c.CommitGather < 0 || c.CommitGather > time.Second {
		return fmt.Errorf("%s must be between 0 and 1s", flagName(fs, "commit-gather"))
	}
	if c.MediaRetention <= 0 || c.MediaURLLifetime <= 0 || c.MediaDownloadLease <= 0 {
		return fmt.Errorf("%s, %s and %s must be positive", flagName(fs, "media-retention"), flagName(fs, "media-url-lifetime"), flagName(fs, "media-download-lease"))
	}
	if _, err := openwaba.LoadTimeZone(c.TimeZone); err != nil {
		return fmt.Errorf("%s: %w", flagName(fs, "time-zone"), err)
	}
	if !c.sandbox() && c.MetaAppSecret == "" {
		return fmt.Errorf("OPENWABA_META_APP_SECRET (--meta-app-secret) is required with a Meta access token: without it webhooks cannot be verified")
	}
	return nil
}
