package meta

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/openwaba/openwaba/internal/httplog"
)

// DefaultMaxWebhookBody bounds a webhook body. Meta batches up to about a
// thousand updates, a few hundred KiB; more is not Meta.
const DefaultMaxWebhookBody = 1 << 20

// WebhookSink receives parsed notifications. It must have stored them
// durably when it returns nil: the handler then answers 200 and Meta will
// not send them again.
type WebhookSink interface {
	HandleNotification(ctx context.Context, n Notification) error
}

// WebhookConfig configures the webhook endpoint.
type WebhookConfig struct {
	AppSecret   string // signs the bodies (HMAC-SHA256)
	VerifyToken string // answers Meta's subscription handshake
	Sink        WebhookSink
	Logger      *slog.Logger
	MaxBody     int64 // DefaultMaxWebhookBody when zero
}

type webhookHandler struct {
	cfg WebhookConfig
	log *slog.Logger
}

// NewWebhookHandler returns the HTTP endpoint Meta's webhooks are
// configured to: GET answers the verification handshake, POST takes
// signed notifications. It panics without a Sink, a programming error
// that must show at startup.
func NewWebhookHandler(cfg WebhookConfig) http.Handler {
	if cfg.Sink == nil {
		panic("meta: NewWebhookHandler without a Sink")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxWebhookBody
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &webhookHandler{cfg: cfg, log: log.With("component", "meta-webhook")}
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verify(w, r)
	case http.MethodPost:
		h.receive(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// verify answers Meta's subscription handshake with the challenge when the
// verify token matches.
func (h *webhookHandler) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	ok := q.Get("hub.mode") == "subscribe" && h.cfg.VerifyToken != "" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(h.cfg.VerifyToken)) == 1
	if !ok {
		h.log.WarnContext(r.Context(), "webhook verification refused", "mode", q.Get("hub.mode"), "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	// The challenge is echoed verbatim; text/plain and nosniff keep a
	// crafted challenge from being rendered as a page.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, q.Get("hub.challenge"))
}

func (h *webhookHandler) receive(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.log.WarnContext(ctx, "webhook body too large", "limit", h.cfg.MaxBody, "remote", r.RemoteAddr)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.log.WarnContext(ctx, "reading webhook body failed", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	// Verify before parsing: unsigned bodies are not even looked at.
	if !VerifySignature(h.cfg.AppSecret, body, r.Header.Get(SignatureHeader)) {
		h.log.WarnContext(ctx, "webhook signature invalid", "remote", r.RemoteAddr,
			"has_signature", r.Header.Get(SignatureHeader) != "")
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	n, err := ParseWebhook(body)
	if err != nil {
		h.log.WarnContext(ctx, "webhook unparsable", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if !n.Empty() {
		if err := h.cfg.Sink.HandleNotification(ctx, n); err != nil {
			// Not stored: a non-200 makes Meta deliver it again.
			if httplog.Abandoned(err) {
				h.log.DebugContext(ctx, "webhook abandoned by its sender before it was stored; it will come again", "err", err)
				w.WriteHeader(httplog.StatusClientClosed)
				return
			}
			h.log.ErrorContext(ctx, "webhook sink failed", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
