// Package console is the gateway's web console: server-rendered pages
// (html/template, so everything a user wrote is escaped by context) to see
// and steer the gateway from a browser, with its CSS and one small script
// embedded in the binary.
//
// The console re-implements no rule of the API. Every action (send, cancel,
// replay, hook create and delete, top-up, key create and revoke) and every
// list it shows is a request to the API's own handlers, made in-process as
// the API key the user signed in with (API.ServeAs): the same validation,
// the same store paths, the same scopes, the same error messages.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// API is the gateway's HTTP API (internal/api's Server).
type API interface {
	// Authenticate checks an API key's secret; openwaba.ErrUnauthorized
	// for a wrong, revoked or expired key.
	Authenticate(ctx context.Context, secret string) (openwaba.APIKey, error)
	// ServeAs serves r through the API's routes as key.
	ServeAs(key openwaba.APIKey, w http.ResponseWriter, r *http.Request)
}

// Config holds the console's collaborators; API and Store are required.
type Config struct {
	API   API
	Store openwaba.Store
	// SyncTemplates fetches the templates from Meta now ("sync now" on the
	// templates page); the button is hidden when nil.
	SyncTemplates func(ctx context.Context) error
	// SessionSecret signs the session cookies and CSRF tokens. Gateways
	// that share a database and a load balancer need the same secret;
	// a random one (sessions end with the process) when empty.
	SessionSecret []byte
	// SessionTTL is how long a sign-in lasts (12 hours when 0), never
	// longer than the key itself.
	SessionTTL time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
	// Sandbox shows the sandbox's "a user writes" form on conversations.
	Sandbox bool
}

// Console serves the pages.
type Console struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	secret []byte
	pages  pages
	mux    *http.ServeMux
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	c := &Console{cfg: cfg, log: cfg.Logger, now: cfg.Now, secret: cfg.SessionSecret}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.cfg.SessionTTL <= 0 {
		c.cfg.SessionTTL = 12 * time.Hour
	}
	if len(c.secret) == 0 {
		c.secret = make([]byte, 32)
		_, _ = rand.Read(c.secret) // crypto/rand.Read never fails
	}
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	m := http.NewServeMux()
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", staticFiles(http.FileServerFS(static))))
	m.HandleFunc("GET /{$}", c.overview)
	m.Handle("GET /console", http.RedirectHandler("/", http.StatusSeeOther))
	m.HandleFunc("GET /console/signin", c.signInPage)
	m.HandleFunc("POST /console/signin", c.signIn)
	m.HandleFunc("POST /console/signout", c.signOut)
	m.HandleFunc("GET /console/messages", c.messages)
	m.HandleFunc("GET /console/messages/{id}", c.message)
	m.HandleFunc("POST /console/messages/{id}/cancel", c.cancelMessage)
	m.HandleFunc("GET /console/conversations", c.conversations)
	m.HandleFunc("GET /console/conversations/{sender}/{user}", c.conversation)
	m.HandleFunc("POST /console/conversations/{sender}/{user}/send", c.sendFromComposer)
	m.HandleFunc("POST /console/conversations/{sender}/{user}/inbound", c.sandboxInbound)
	m.HandleFunc("POST /console/events", c.sendEvent)
	m.HandleFunc("GET /console/templates", c.templates)
	m.HandleFunc("POST /console/templates/sync", c.syncTemplates)
	m.HandleFunc("GET /console/webhooks", c.webhooks)
	m.HandleFunc("POST /console/webhooks", c.createHook)
	m.HandleFunc("POST /console/webhooks/{id}/delete", c.deleteHook)
	m.HandleFunc("POST /console/webhooks/dead/{id}/replay", c.replay)
	m.HandleFunc("GET /console/admin", c.admin)
	m.HandleFunc("GET /console/admin/accounts/{account}", c.adminAccount)
	m.HandleFunc("POST /console/admin/accounts/{account}/topup", c.adminTopUp)
	m.HandleFunc("POST /console/admin/accounts/{account}/keys", c.adminCreateKey)
	m.HandleFunc("POST /console/admin/accounts/{account}/keys/{key}/revoke", c.adminRevokeKey)
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.renderError(w, r, nil, http.StatusNotFound, "No such page.")
	})
	c.mux = m
	return c, nil
}

// Wrap serves the console's paths (GET / and /console/...) and hands every
// other request to next (the API): the console's routes are not API
// routes and openapi.json does not describe them. bound wraps the
// console's own requests (e.g. a per-client bound on requests in flight;
// nil for none).
func (c *Console) Wrap(next http.Handler, bound func(http.Handler) http.Handler) http.Handler {
	var self http.Handler = c
	if bound != nil {
		self = bound(c)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		root := r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
		if root || r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/") {
			self.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if r.Method == http.MethodPost && r.URL.Path != "/console/signin" {
		// Forms are small; sign-in bounds its own body. Each handler
		// checks the form's CSRF token (Console.form).
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	}
	c.mux.ServeHTTP(w, r)
}

// maxForm bounds a form's body: the largest is a template's placeholders.
const maxForm = 64 << 10

// securityHeaders forbid inline script and style, framing, and sniffing:
// the pages load only the console's own CSS and script.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// staticFiles lets browsers cache the embedded assets for an hour; they
// change only with the binary.
func staticFiles(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}
