package client

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sign computes seven's request signature: the lowercase hex HMAC-SHA256,
// keyed with the account's signing secret, of
//
//	timestamp "\n" nonce "\n" METHOD "\n" full URL "\n" hex(MD5(body))
//
// The same signature protects requests to the API (X-Signature,
// X-Timestamp, X-Nonce) and the webhooks the API sends.
func Sign(secret, timestamp, nonce, method, fullURL string, body []byte) string {
	sum := md5.Sum(body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + nonce + "\n" + strings.ToUpper(method) + "\n" + fullURL + "\n" + hex.EncodeToString(sum[:])))
	return hex.EncodeToString(mac.Sum(nil))
}

// Errors of webhook parsing; they wrap ErrInvalidWebhook.
var (
	ErrInvalidWebhook = errors.New("invalid webhook")
	// ErrInvalidSignature: the signature is missing, wrong or stale.
	ErrInvalidSignature = fmt.Errorf("%w: invalid signature", ErrInvalidWebhook)
	errNoSignature      = fmt.Errorf("%w: missing X-Signature, X-Timestamp or X-Nonce", ErrInvalidSignature)
	errBadSignature     = fmt.Errorf("%w: signature does not match", ErrInvalidSignature)
	errStale            = fmt.Errorf("%w: timestamp outside the allowed window", ErrInvalidSignature)
)

// VerifySignature checks the X-Signature of a request (the webhook's URL as
// it was called, its body) in constant time, and that X-Timestamp is within
// maxAge of now.
func VerifySignature(secret string, h http.Header, method, fullURL string, body []byte, now time.Time, maxAge time.Duration) error {
	sig, ts, nonce := h.Get("X-Signature"), h.Get("X-Timestamp"), h.Get("X-Nonce")
	if sig == "" || ts == "" || nonce == "" {
		return errNoSignature
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: X-Timestamp %q is not a Unix time", ErrInvalidSignature, ts)
	}
	if d := now.Sub(time.Unix(unix, 0)); maxAge > 0 && (d > maxAge || d < -maxAge) {
		return errStale
	}
	want := Sign(secret, ts, nonce, method, fullURL, body)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(strings.TrimSpace(sig)))) {
		return errBadSignature
	}
	return nil
}

// Event is a webhook in seven's envelope:
// {"webhook_event":..,"webhook_timestamp":..,"data":{..}}.
type Event struct {
	Type      string          `json:"webhook_event"`
	Timestamp string          `json:"webhook_timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Webhook event types (the event_type of a hook, and webhook_event).
const (
	EventAll      = "all"       // subscribes to every event
	EventStatus   = "wa_status" // a message's WhatsApp status changed (StatusEvent)
	EventDLR      = "dlr"       // the same in seven's status report terms (StatusEvent)
	EventInbound  = "wa_mo"     // a user wrote to one of your numbers (InboundEvent)
	EventTracking = "tracking"  // a tracked link was clicked
	// EventNumberQuality: WhatsApp reported on one of your numbers
	// (NumberQualityEvent); openwaba only.
	EventNumberQuality = "number_quality"
	// EventTemplateStatus: WhatsApp changed one of your templates
	// (TemplateStatusEvent); openwaba only.
	EventTemplateStatus = "template_status"
)

// NumberQualityEvent is the data of a number_quality event.
type NumberQualityEvent struct {
	Sender          string `json:"sender"`
	WABAID          string `json:"waba_id"`
	Field           string `json:"field"` // phone_number_quality_update or account_update
	Event           string `json:"event"` // FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE, ACCOUNT_RESTRICTION, ...
	Quality         string `json:"quality"`
	PreviousQuality string `json:"previous_quality"`
	MessagingLimit  string `json:"messaging_limit"`
	Restrictions    []struct {
		Type    string `json:"type"`
		Expires string `json:"expires"` // "YYYY-MM-DD hh:mm:ss", UTC; "" until lifted
	} `json:"restrictions"`
	BanState  string `json:"ban_state"`
	Violation string `json:"violation"`
	Marketing string `json:"marketing"` // send, held or failed
	Time      string `json:"time"`
}

// TemplateStatusEvent is the data of a template_status event.
type TemplateStatusEvent struct {
	Template         string `json:"template"`
	Language         string `json:"language"`
	TemplateID       string `json:"template_id"`
	Field            string `json:"field"`
	Event            string `json:"event"`
	Status           string `json:"status"`
	PreviousStatus   string `json:"previous_status"`
	Category         string `json:"category"`
	PreviousCategory string `json:"previous_category"`
	NextCategory     string `json:"next_category"`
	CategoryTime     string `json:"category_time"`
	Quality          string `json:"quality"`
	PreviousQuality  string `json:"previous_quality"`
	Reason           string `json:"reason"`
	Sendable         bool   `json:"sendable"`
	Time             string `json:"time"`
}

// NumberQuality decodes the data of a number_quality event.
func (e *Event) NumberQuality() (*NumberQualityEvent, error) {
	var n NumberQualityEvent
	if err := decodeData(e.Data, &n); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", e.Type, err)
	}
	return &n, nil
}

// TemplateStatus decodes the data of a template_status event.
func (e *Event) TemplateStatus() (*TemplateStatusEvent, error) {
	var ts TemplateStatusEvent
	if err := decodeData(e.Data, &ts); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", e.Type, err)
	}
	return &ts, nil
}

// StatusEvent is the data of a wa_status or dlr event.
type StatusEvent struct {
	MsgID string `json:"msg_id"` // the id Send returned
	// Status is the WhatsApp status (one of the Status constants) for
	// wa_status, seven's report value (BUFFERED, TRANSMITTED, DELIVERED,
	// NOTDELIVERED, REJECTED, EXPIRED) for dlr.
	Status     string  `json:"status"`
	WAStatus   string  `json:"wa_status"`   // the WhatsApp status, in both
	StatusTime string  `json:"status_time"` // "YYYY-MM-DD hh:mm:ss", UTC
	ForeignID  string  `json:"foreign_id"`
	Label      string  `json:"label"`
	Sender     string  `json:"sender"`
	Recipient  string  `json:"recipient"` // a number, or a business-scoped user ID (BSUID)
	UserID     string  `json:"user_id"`   // the recipient's BSUID, once WhatsApp reported it
	Username   string  `json:"username"`  // the recipient's username, if they have one
	WAMID      string  `json:"wamid"`
	Channel    string  `json:"channel"`
	Price      float64 `json:"price"` // charged at accept
	// What WhatsApp's status reports said of the price, and what the
	// message costs once they did (see docs/pricing.md).
	Billable        *bool    `json:"billable"`
	PricingCategory string   `json:"pricing_category"`
	PricingType     string   `json:"pricing_type"`
	SettledPrice    *float64 `json:"settled_price"`
	ErrorCode       int      `json:"error_code"`
	ErrorText       string   `json:"error_text"`
}

// InboundEvent is the data of a wa_mo event: a message a user sent to one
// of your numbers.
type InboundEvent struct {
	ID          string          `json:"id"`
	WAMID       string          `json:"wamid"`     // use it with Read (MsgID) and React
	Sender      string          `json:"sender"`    // the user who wrote: their number, or their BSUID when WhatsApp withholds it
	Recipient   string          `json:"recipient"` // your number
	UserID      string          `json:"user_id"`   // the user's business-scoped user ID (BSUID)
	Username    string          `json:"username"`  // the user's username, if they have one
	Time        string          `json:"time"`      // "YYYY-MM-DD hh:mm:ss", UTC
	Type        string          `json:"type"`      // text, image, reaction, interactive, ...
	Text        string          `json:"text"`
	ProfileName string          `json:"profile_name"`
	Content     json.RawMessage `json:"content"` // the message as WhatsApp sent it
	// Media is the file of an image, video, audio, document or sticker
	// (nil for other types); MediaURL fetches it without the API key until
	// it expires ("" when the download failed: Media.Error says why).
	Media    *InboundMedia `json:"media"`
	MediaURL string        `json:"media_url"`
}

// InboundMedia is the file of a wa_mo event. ID is the file at GET
// /api/waba/media/{id}; SHA256 is hex.
type InboundMedia struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	MIMEType string `json:"mime_type"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Filename string `json:"filename"`
	Caption  string `json:"caption"`
	Voice    bool   `json:"voice"`
	Animated bool   `json:"animated"`
	Error    string `json:"error"`
}

// Status decodes the data of a status event.
func (e *Event) Status() (*StatusEvent, error) {
	var s StatusEvent
	if err := decodeData(e.Data, &s); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", e.Type, err)
	}
	return &s, nil
}

// Inbound decodes the data of an inbound message event.
func (e *Event) Inbound() (*InboundEvent, error) {
	var in InboundEvent
	if err := decodeData(e.Data, &in); err != nil {
		return nil, fmt.Errorf("webhook %s: %w", e.Type, err)
	}
	return &in, nil
}

// numericFields are the data fields that are numbers; the form and query
// encodings of POST and GET hooks send them as strings.
var numericFields = map[string]bool{"price": true, "error_code": true, "settled_price": true}

// objectFields are the data fields that are objects or lists, which the
// form encodings send as JSON text; boolFields the ones that are booleans.
var (
	objectFields = map[string]bool{"content": true, "restrictions": true, "media": true}
	boolFields   = map[string]bool{"billable": true, "sendable": true} // "true", "false", or "" for null
)

// decodeData reads data leniently: numbers may come as strings and ids as
// numbers; nested objects may come as JSON text (form encodings).
func decodeData(data json.RawMessage, v any) error {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return err
	}
	for k, x := range m {
		switch x := x.(type) {
		case json.Number:
			if !numericFields[k] {
				m[k] = x.String()
			}
		case string:
			if boolFields[k] {
				if b, err := strconv.ParseBool(x); err == nil {
					m[k] = b
				} else {
					delete(m, k)
				}
				continue
			}
			if numericFields[k] {
				if x == "" {
					delete(m, k)
				} else if f, err := strconv.ParseFloat(x, 64); err == nil {
					m[k] = f
				}
			} else if objectFields[k] && json.Valid([]byte(x)) {
				m[k] = json.RawMessage(x)
			} else if boolFields[k] {
				m[k] = x == "true" || x == "1"
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// WebhookVerifier parses and verifies the webhooks openwaba (and seven)
// send to your URL.
type WebhookVerifier struct {
	// Secret is the account's signing secret; empty skips verification.
	Secret string
	// URL is the webhook's URL as registered (what the sender signed);
	// the query is taken from the request. Empty: reconstructed from the
	// request (scheme, Host, RequestURI), which is wrong behind a proxy
	// that rewrites them.
	URL string
	// MaxAge bounds the age of X-Timestamp (default 5 minutes; seven's
	// requests must not be older than 30 seconds, webhooks are retried).
	MaxAge time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Parse verifies r and decodes its event. JSON bodies and the form and
// query encodings of seven's POST and GET hooks are read.
func (v WebhookVerifier) Parse(r *http.Request) (*Event, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("reading webhook: %w", err)
	}
	if v.Secret != "" {
		now, maxAge := time.Now(), v.MaxAge
		if v.Now != nil {
			now = v.Now()
		}
		if maxAge == 0 {
			maxAge = 5 * time.Minute
		}
		u := requestURL(r)
		if v.URL != "" {
			// The registered URL, with the query as it arrived: GET hooks
			// add the event to it.
			u, _, _ = strings.Cut(v.URL, "?")
			if r.URL.RawQuery != "" {
				u += "?" + r.URL.RawQuery
			}
		}
		if err := VerifySignature(v.Secret, r.Header, r.Method, u, body, now, maxAge); err != nil {
			return nil, err
		}
	}
	return parseEvent(r, body)
}

func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

func parseEvent(r *http.Request, body []byte) (*Event, error) {
	ct := r.Header.Get("Content-Type")
	var form url.Values
	switch {
	case r.Method == http.MethodGet:
		form = r.URL.Query()
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, fmt.Errorf("%w: form body: %v", ErrInvalidWebhook, err)
		}
	}
	if form != nil {
		data := map[string]string{}
		for k, vs := range form {
			if k == "webhook_event" || k == "webhook_timestamp" {
				continue
			}
			key := strings.TrimSuffix(strings.TrimPrefix(k, "data["), "]")
			data[key] = vs[0]
		}
		raw, _ := json.Marshal(data)
		return &Event{Type: form.Get("webhook_event"), Timestamp: form.Get("webhook_timestamp"), Data: raw}, nil
	}
	var e Event
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: body is not JSON: %v", ErrInvalidWebhook, err)
	}
	if e.Type == "" {
		return nil, fmt.Errorf("%w: no webhook_event", ErrInvalidWebhook)
	}
	return &e, nil
}

// Handler returns an http.Handler that verifies each webhook and passes
// its event to fn. It answers 401 for a bad signature, 400 for a body it
// cannot read, 500 when fn fails (so that the sender retries) and 200
// otherwise.
func (v WebhookVerifier) Handler(fn func(*http.Request, *Event) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := v.Parse(r)
		switch {
		case errors.Is(err, ErrInvalidSignature):
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := fn(r, e); err != nil {
			http.Error(w, "webhook not processed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
