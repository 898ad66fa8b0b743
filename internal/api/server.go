// Package api serves seven's WhatsApp API (POST /api/waba/messages, DELETE
// and GET /api/waba/messages/{id}, POST /api/waba/events) on top of the
// store, plus the health check and the sandbox's control endpoint.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/media"
	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/tracking"
	"github.com/openwaba/openwaba/internal/webhook"
)

// Pricer prices one message.
type Pricer interface {
	Price(ctx context.Context, accountID int64, category openwaba.PriceCategory, recipient string) (openwaba.Micros, error)
}

// SandboxInbound lets a user play a WhatsApp user writing to one of their
// numbers, and play Meta reporting on their numbers and templates; only
// the sandbox implements it.
type SandboxInbound interface {
	InboundMessage(ctx context.Context, from, toDisplayNumber string, m sandbox.UserMessage) (wamid string, err error)
	NumberQuality(ctx context.Context, display, event, limit string) error
	AccountUpdate(ctx context.Context, display string, c sandbox.AccountChange) error
	ChangeTemplate(ctx context.Context, display, name, language string, c sandbox.TemplateChange) error
}

// Reads are the lookups every request makes, which the gateway serves from
// memory (internal/store/cached). Refresh is called once per request,
// before the first of them. Account's Balance may be old: the balance is
// read from the Store.
type Reads interface {
	Refresh(ctx context.Context) error
	APIKeyByHash(ctx context.Context, hash []byte) (openwaba.APIKey, error)
	TouchAPIKey(ctx context.Context, keyID int64, at time.Time) error
	Account(ctx context.Context, id int64) (openwaba.Account, error)
	Sender(ctx context.Context, accountID int64, number string) (openwaba.Sender, error)
	Template(ctx context.Context, accountID int64, name, language string) (openwaba.Template, error)
	Prices(ctx context.Context, currency string) ([]openwaba.Price, error)
	FreeRules(ctx context.Context) ([]openwaba.FreeRule, error)
	Suppressed(ctx context.Context, accountID int64, sender, user string) (openwaba.Suppression, bool, error)
}

// storeReads reads the store itself: Reads when Config has none.
type storeReads struct{ openwaba.Store }

func (storeReads) Refresh(context.Context) error { return nil }

// Config holds the server's collaborators. Store, Upstream and Pricer are
// required.
type Config struct {
	Store openwaba.Store
	// Reads serves the per-request lookups; the Store when nil.
	Reads    Reads
	Upstream openwaba.Upstream
	Pricer   Pricer
	Logger   *slog.Logger
	Now      func() time.Time
	// Notify wakes the dispatcher after messages were accepted.
	Notify func()
	// Sandbox serves POST /api/sandbox/inbound when set.
	Sandbox SandboxInbound
	// MetaWebhook receives Meta's webhooks at /webhooks/meta.
	MetaWebhook http.Handler
	// CheckHookTarget refuses target URLs hooks may not have (not http(s),
	// private addresses); webhook.CheckTarget without private addresses
	// when nil.
	CheckHookTarget func(ctx context.Context, url string) error
	// MediaSigner checks the signed media URLs of wa_mo webhooks
	// (GET /media/{id}); nil serves none.
	MediaSigner *media.Signer
	// FetchClient fetches the files POST /api/waba/media names by url:
	// the SSRF-guarded client of webhooks (webhook.NewClient); nil
	// refuses urls.
	FetchClient *http.Client
	// MediaRetention is how long uploaded files are kept when the
	// account sets none (openwaba.DefaultMediaRetention when zero).
	MediaRetention time.Duration
	// NotifyHooks wakes the webhook deliverer after something was put in
	// its outbox.
	NotifyHooks func()
	// HookHeld reports whether this node holds back a hook's webhooks,
	// its receiver failing, and until when (webhook.Deliverer.HeldUntil);
	// nil: never.
	HookHeld func(hook int64, target string) (time.Time, bool)
	// PublicURL is where users reach the gateway's short links
	// (performance tracking): PublicURL + "/s/" + code.
	PublicURL string
	// RateLimit is the requests per second each API key may make (0: no
	// limit), with bursts of up to RateBurst (0: RateLimit rounded up).
	RateLimit float64
	RateBurst int
	// Unauthenticated wraps the routes that take no API key (Meta's webhook,
	// short links, /healthz, /readyz, /openapi.json, unknown paths), e.g.
	// to bound the requests one client may have in flight on them; the
	// routes with a key are bounded by the key's rate limit instead.
	Unauthenticated func(http.Handler) http.Handler
	// Metrics counts accepted and balance-refused messages (nil: none).
	Metrics Metrics
	// MetricsHandler serves GET /metrics when set (a route without a key,
	// so behind Unauthenticated; it checks the client's network itself).
	MetricsHandler http.Handler
}

// Server is the gateway's HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	handler http.Handler
	ready   atomic.Bool
	limiter *keyLimiter
	// shortener makes the short links of tracked messages.
	shortener tracking.Shortener
}

// New builds the server; it answers /healthz with 503 until SetReady.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, limiter: newKeyLimiter(cfg.RateLimit, cfg.RateBurst)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.Reads == nil {
		s.cfg.Reads = storeReads{cfg.Store}
	}
	if s.cfg.NotifyHooks == nil {
		s.cfg.NotifyHooks = func() {}
	}
	if s.cfg.HookHeld == nil {
		s.cfg.HookHeld = func(int64, string) (time.Time, bool) { return time.Time{}, false }
	}
	if s.cfg.CheckHookTarget == nil {
		s.cfg.CheckHookTarget = func(ctx context.Context, url string) error { return webhook.CheckTarget(ctx, url, false, nil) }
	}
	if s.cfg.Notify == nil {
		s.cfg.Notify = func() {}
	}
	unauth := s.cfg.Unauthenticated
	if unauth == nil {
		unauth = func(h http.Handler) http.Handler { return h }
	}
	s.shortener = tracking.Shortener{Base: s.cfg.PublicURL}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", unauth(http.HandlerFunc(s.healthz)))
	mux.Handle("GET /readyz", unauth(http.HandlerFunc(s.readyz)))
	mux.Handle("GET /openapi.json", unauth(http.HandlerFunc(s.openAPI)))
	mux.Handle("POST /api/waba/messages", s.auth(openwaba.ScopeWABA, s.idempotent(s.sendMessages)))
	mux.Handle("GET /api/waba/messages/{id}", s.auth(openwaba.ScopeWABA, s.getMessage))
	mux.Handle("GET /api/waba/messages", s.auth(openwaba.ScopeWABA, s.listMessages))
	mux.Handle("DELETE /api/waba/messages/{id}", s.auth(openwaba.ScopeWABA, s.deleteMessage))
	mux.Handle("GET /api/waba/inbound", s.auth(openwaba.ScopeWABA, s.listInbound))
	mux.Handle("GET /api/waba/export", s.auth(openwaba.ScopeWABA, s.exportMessages))
	mux.Handle("DELETE /api/waba/users/{user}", s.auth(openwaba.ScopeWABA, s.eraseUser))
	mux.Handle("GET /api/waba/suppressions", s.auth(openwaba.ScopeWABA, s.listSuppressions))
	mux.Handle("POST /api/waba/suppressions", s.auth(openwaba.ScopeWABA, s.addSuppression))
	mux.Handle("DELETE /api/waba/suppressions/{user}", s.auth(openwaba.ScopeWABA, s.removeSuppression))
	mux.Handle("PUT /api/waba/suppressions/keywords", s.auth(openwaba.ScopeWABA, s.setOptKeywords))
	mux.Handle("GET /api/waba/conversations/{user}", s.auth(openwaba.ScopeWABA, s.getConversation))
	mux.Handle("POST /api/waba/events", s.auth(openwaba.ScopeWABA, s.sendEvent))
	mux.Handle("GET /api/waba/templates", s.auth(openwaba.ScopeWABA, s.listTemplates))
	mux.Handle("POST /api/waba/templates", s.auth(openwaba.ScopeWABA, s.createTemplate))
	mux.Handle("PUT /api/waba/templates/{id}", s.auth(openwaba.ScopeWABA, s.editTemplate))
	mux.Handle("DELETE /api/waba/templates", s.auth(openwaba.ScopeWABA, s.deleteTemplate))
	mux.Handle("GET /api/waba/senders", s.auth(openwaba.ScopeWABA, s.listSenders))
	mux.Handle("GET /api/waba/queue", s.auth(openwaba.ScopeWABA, s.getQueue))
	mux.Handle("GET /s/{code}", unauth(http.HandlerFunc(s.followLink)))
	mux.Handle("POST /api/waba/media", s.auth(openwaba.ScopeWABA, s.uploadMedia))
	mux.Handle("GET /api/waba/media/{id}", s.auth(openwaba.ScopeWABA, s.getMedia))
	mux.Handle("DELETE /api/waba/media/{id}", s.auth(openwaba.ScopeWABA, s.deleteMedia))
	mux.Handle("GET /media/{id}", unauth(http.HandlerFunc(s.getSignedMedia)))
	mux.Handle("GET /api/analytics", s.auth(openwaba.ScopeAnalytics, s.analytics))
	mux.Handle("GET /api/analytics/{group}", s.auth(openwaba.ScopeAnalytics, s.sevenAnalytics))
	mux.Handle("GET /api/journal/outbound", s.auth(openwaba.ScopeJournal, s.journalOutbound))
	mux.Handle("GET /api/journal/inbound", s.auth(openwaba.ScopeJournal, s.journalInbound))
	mux.Handle("GET /api/journal/replies", s.auth(openwaba.ScopeJournal, s.journalReplies))
	mux.Handle("GET /api/journal/voice", s.auth(openwaba.ScopeJournal, s.journalVoice))
	mux.Handle("POST /api/hooks", s.auth(openwaba.ScopeHooks, s.createHook))
	mux.Handle("GET /api/hooks", s.auth(openwaba.ScopeHooks, s.listHooks))
	mux.Handle("DELETE /api/hooks", s.auth(openwaba.ScopeHooks, s.deleteHook))
	mux.Handle("GET /api/hooks/dead", s.auth(openwaba.ScopeHooks, s.deadDeliveries))
	mux.Handle("POST /api/hooks/dead/{id}/replay", s.auth(openwaba.ScopeHooks, s.replayDelivery))
	mux.Handle("GET /api/balance", s.auth("", s.balance))
	mux.Handle("GET /api/pricing", s.auth("", s.prices))
	s.adminRoutes(mux)
	if cfg.Sandbox != nil {
		mux.Handle("POST /api/sandbox/inbound", s.auth(openwaba.ScopeWABA, s.sandboxInbound))
		mux.Handle("POST /api/sandbox/number_quality", s.auth(openwaba.ScopeWABA, s.sandboxNumberQuality))
		mux.Handle("POST /api/sandbox/account_update", s.auth(openwaba.ScopeWABA, s.sandboxAccountUpdate))
		mux.Handle("POST /api/sandbox/template", s.auth(openwaba.ScopeWABA, s.sandboxTemplate))
	}
	if cfg.MetaWebhook != nil {
		mux.Handle("/webhooks/meta", unauth(cfg.MetaWebhook))
	}
	if cfg.MetricsHandler != nil {
		mux.Handle("GET /metrics", unauth(cfg.MetricsHandler))
	}
	mux.Handle("/", unauth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeNotFound(w) })))
	s.handler = mux
	return s
}

// SetReady makes /healthz and /readyz answer 200 (or 503 again for false,
// while draining).
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
