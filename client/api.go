package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Send sends a message to one or more recipients: POST /waba/messages.
// A refused recipient (7002001 outside the window, 500 without balance)
// is not an error of Send: see SendResponse.Err and SentMessage.Err. The
// send is retried after network errors, 429 and 502–504 with the same
// Idempotency-Key.
func (c *Client) Send(ctx context.Context, req SendRequest) (*SendResponse, error) {
	body, err := req.Body()
	if err != nil {
		return nil, err
	}
	key := req.IdempotencyKey
	if key == "" {
		key = NewIdempotencyKey()
	}
	var out SendResponse
	err = c.do(ctx, request{
		method: http.MethodPost, path: "/waba/messages", body: body, contentType: "application/json",
		idempotent: true, idempotencyKey: key,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete cancels a message that has not been sent yet (and refunds it):
// DELETE /waba/messages/{id}. A sent message is an *APIError with code 400,
// an unknown one matches ErrNotFound.
func (c *Client) Delete(ctx context.Context, id string) error {
	var out struct {
		Success Bool `json:"success"`
	}
	if err := c.do(ctx, request{method: http.MethodDelete, path: "/waba/messages/" + url.PathEscape(id), idempotent: true}, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("DELETE /waba/messages/%s: %w", id, &APIError{Status: 200, Code: CodeBadRequest, Message: "success is false"})
	}
	return nil
}

// MessageStatus is a message with its status and journal (openwaba's
// GET /waba/messages/{id}; seven.io has no such endpoint).
type MessageStatus struct {
	ID        string  `json:"id"`
	Sender    string  `json:"sender"`
	Recipient string  `json:"recipient"` // a number, or a BSUID
	UserID    string  `json:"user_id"`   // the recipient's BSUID, as WhatsApp reported it
	Username  string  `json:"username"`
	Type      string  `json:"type"`
	Text      string  `json:"text"`
	Label     string  `json:"label"`
	ForeignID string  `json:"foreign_id"`
	Price     float64 `json:"price"` // charged at accept
	// Billable, PricingCategory and PricingType are what WhatsApp's status
	// reports said of the price; SettledPrice what the message costs once
	// they did (or it was refunded). Nil or empty until then.
	Billable        *bool         `json:"billable"`
	PricingCategory string        `json:"pricing_category"`
	PricingType     string        `json:"pricing_type"`
	SettledPrice    *float64      `json:"settled_price"`
	Status          string        `json:"status"` // one of the Status constants
	StatusTime      time.Time     `json:"status_time"`
	WAMID           string        `json:"wamid"`
	Created         time.Time     `json:"created"`
	Scheduled       time.Time     `json:"scheduled"`
	Expires         time.Time     `json:"expires"`
	ErrorCode       int           `json:"error_code"`
	ErrorText       string        `json:"error_text"`
	Statuses        []StatusEntry `json:"statuses"`
}

// A message's statuses (MessageStatus.Status, StatusEntry.Status and the
// wa_status of webhooks), in the order a message moves through them;
// failed ranks between sent and delivered. openwaba only: seven.io reports
// DLR values.
const (
	StatusScheduled = "scheduled"
	StatusQueued    = "queued"
	// StatusHeld: WhatsApp holds a marketing template while it assesses
	// the template's quality (template pacing); sent or paused after.
	StatusHeld = "held_for_quality_assessment"
	// StatusPaused: WhatsApp dropped a held message; not delivered,
	// refunded.
	StatusPaused    = "paused"
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusPlayed    = "played" // a voice (audio) message was listened to
	StatusFailed    = "failed"
	StatusExpired   = "expired" // not sent within its ttl; refunded
	StatusDeleted   = "deleted" // cancelled; refunded
)

// StatusEntry is one step of a message's journal.
type StatusEntry struct {
	Status    string    `json:"status"`
	Time      time.Time `json:"time"`
	ErrorCode int       `json:"error_code,omitempty"`
	ErrorText string    `json:"error_text,omitempty"`
}

// Status returns a message's status and journal (openwaba only).
func (c *Client) Status(ctx context.Context, id string) (*MessageStatus, error) {
	var out MessageStatus
	if err := c.do(ctx, request{method: http.MethodGet, path: "/waba/messages/" + url.PathEscape(id), idempotent: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Conversation names the user's message an event is about: the newest
// message To sent to From, or MsgID.
type Conversation struct {
	From  string // your sender number
	To    string // the user
	MsgID string // WhatsApp id of the user's message
}

type eventBody struct {
	From  string  `json:"from,omitempty"`
	To    string  `json:"to,omitempty"`
	Event string  `json:"event"`
	MsgID string  `json:"msg_id,omitempty"`
	Emoji *string `json:"emoji,omitempty"`
}

// Read marks the user's message as read: POST /waba/events, event read.
func (c *Client) Read(ctx context.Context, conv Conversation) error {
	return c.event(ctx, eventBody{From: conv.From, To: conv.To, MsgID: conv.MsgID, Event: "read"})
}

// Typing shows the typing indicator (and marks the message read).
func (c *Client) Typing(ctx context.Context, conv Conversation) error {
	return c.event(ctx, eventBody{From: conv.From, To: conv.To, MsgID: conv.MsgID, Event: "is_typing"})
}

// React reacts to a message with an emoji; "" removes the reaction.
func (c *Client) React(ctx context.Context, msgID, emoji string) error {
	return c.event(ctx, eventBody{MsgID: msgID, Event: "reaction", Emoji: &emoji})
}

func (c *Client) event(ctx context.Context, ev eventBody) error {
	body, err := jsonBody(ev)
	if err != nil {
		return err
	}
	var out struct {
		Success Bool `json:"success"`
	}
	// Events are not retried: a second read or reaction is harmless but a
	// second typing indicator is visible.
	if err := c.do(ctx, request{method: http.MethodPost, path: "/waba/events", body: body, contentType: "application/json"}, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("POST /waba/events: %w", &APIError{Status: 200, Code: CodeBadRequest, Message: "success is false"})
	}
	return nil
}

// SandboxInbound has the sandbox's user write to one of your numbers,
// which opens the 24-hour window (openwaba's sandbox only). It returns the
// inbound message's WhatsApp id.
func (c *Client) SandboxInbound(ctx context.Context, user, sender, text string) (string, error) {
	body, err := jsonBody(map[string]string{"from": user, "to": sender, "text": text})
	if err != nil {
		return "", err
	}
	var out struct {
		MsgID string `json:"msg_id"`
	}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/sandbox/inbound", body: body, contentType: "application/json"}, &out); err != nil {
		return "", err
	}
	return out.MsgID, nil
}

// Balance is the account's credit.
type Balance struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// Balance returns the account's balance: GET /balance.
func (c *Client) Balance(ctx context.Context) (*Balance, error) {
	var out Balance
	if err := c.do(ctx, request{method: http.MethodGet, path: "/balance", idempotent: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Hook is a webhook subscription (seven's /hooks).
type Hook struct {
	ID            string `json:"id"`
	TargetURL     string `json:"target_url"`
	EventType     string `json:"event_type"`     // EventAll, EventStatus, EventDLR, EventInbound, EventTracking
	EventFilter   string `json:"event_filter"`   // e.g. a sender number
	RequestMethod string `json:"request_method"` // JSON, POST or GET
	Headers       string `json:"headers,omitempty"`
	Enabled       bool   `json:"enabled"`
	Created       string `json:"created"`
}

// CreateHook subscribes TargetURL to EventType: POST /hooks. It returns
// the new hook's id.
func (c *Client) CreateHook(ctx context.Context, h Hook) (string, error) {
	form := url.Values{"target_url": {h.TargetURL}, "event_type": {h.EventType}}
	if h.EventFilter != "" {
		form.Set("event_filter", h.EventFilter)
	}
	if h.RequestMethod != "" {
		form.Set("request_method", h.RequestMethod)
	}
	if h.Headers != "" {
		form.Set("headers", h.Headers)
	}
	var out hookAnswer
	if err := c.do(ctx, request{method: http.MethodPost, path: "/hooks", body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"}, &out); err != nil {
		return "", err
	}
	if err := out.err("POST /hooks"); err != nil {
		return "", err
	}
	return string(out.ID), nil
}

// DeleteHook removes a hook: DELETE /hooks with the id in the form body.
func (c *Client) DeleteHook(ctx context.Context, id string) error {
	form := url.Values{"id": {id}}
	var out hookAnswer
	if err := c.do(ctx, request{method: http.MethodDelete, path: "/hooks", body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded", idempotent: true}, &out); err != nil {
		return err
	}
	return out.err("DELETE /hooks")
}

// Hooks lists the account's hooks: GET /hooks.
func (c *Client) Hooks(ctx context.Context) ([]Hook, error) {
	var out struct {
		Hooks []hookJSON `json:"hooks"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/hooks", idempotent: true}, &out); err != nil {
		return nil, err
	}
	hooks := make([]Hook, 0, len(out.Hooks))
	for _, h := range out.Hooks {
		hooks = append(hooks, Hook{
			ID: string(h.ID), TargetURL: h.TargetURL, EventType: h.EventType, EventFilter: h.EventFilter,
			RequestMethod: h.RequestMethod, Headers: h.Headers, Enabled: bool(h.Enabled), Created: h.Created,
		})
	}
	return hooks, nil
}

type hookJSON struct {
	ID            idString `json:"id"`
	TargetURL     string   `json:"target_url"`
	EventType     string   `json:"event_type"`
	EventFilter   string   `json:"event_filter"`
	RequestMethod string   `json:"request_method"`
	Headers       string   `json:"headers"`
	Enabled       Bool     `json:"enabled"`
	Created       string   `json:"created"`
}

// hookAnswer is seven's {"success":..,"code":..,"error_message":..,"id":..}.
type hookAnswer struct {
	Success      Bool            `json:"success"`
	Code         json.RawMessage `json:"code"`
	ErrorMessage string          `json:"error_message"`
	ID           idString        `json:"id"`
}

func (a hookAnswer) err(op string) error {
	if a.Success {
		return nil
	}
	code, ok := rawInt(a.Code)
	if !ok {
		code = CodeBadRequest
	}
	return fmt.Errorf("%s: %w", op, &APIError{Status: 200, Code: code, Message: a.ErrorMessage})
}

// idString reads an id given as a number or a string.
type idString string

func (s *idString) UnmarshalJSON(b []byte) error {
	str := strings.Trim(string(b), `"`)
	if str == "null" {
		str = ""
	}
	*s = idString(str)
	return nil
}

// AnalyticsGroup is how analytics are grouped: by date, label, country or
// subaccount.
type AnalyticsGroup string

// The groupings seven offers.
const (
	ByDate       AnalyticsGroup = "date"
	ByLabel      AnalyticsGroup = "label"
	ByCountry    AnalyticsGroup = "country"
	BySubaccount AnalyticsGroup = "subaccount"
)

// AnalyticsQuery filters analytics; zero fields use seven's defaults (the
// last 30 days, the main account).
type AnalyticsQuery struct {
	Start, End  time.Time // dates, sent as YYYY-MM-DD
	Label       string
	Subaccounts string // "", "all", or comma-separated ids
}

// AnalyticsRow is one group's figures. Counts holds every count the API
// sent by its name (sms, rcs, voice, hlr, mnp, inbound, whatsapp, ...).
type AnalyticsRow struct {
	Date     string
	Label    string
	Country  string
	Account  string
	UsageEUR float64
	Counts   map[string]float64
}

// UnmarshalJSON splits the row into its group key, costs and counts.
func (r *AnalyticsRow) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = AnalyticsRow{Counts: map[string]float64{}}
	str := func(k string) string {
		var s string
		if json.Unmarshal(m[k], &s) != nil {
			var n json.Number
			if json.Unmarshal(m[k], &n) == nil {
				return n.String()
			}
		}
		return s
	}
	r.Date, r.Label, r.Country, r.Account = str("date"), str("label"), str("country"), str("account")
	for k, v := range m {
		switch k {
		case "date", "label", "country", "account":
			continue
		}
		var f float64
		if json.Unmarshal(v, &f) != nil {
			var s string
			if json.Unmarshal(v, &s) != nil {
				continue
			}
			var err error
			if f, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		if k == "usage_eur" {
			r.UsageEUR = f
			continue
		}
		r.Counts[k] = f
	}
	return nil
}

// Analytics returns usage grouped by group: GET /analytics/{group}.
func (c *Client) Analytics(ctx context.Context, group AnalyticsGroup, q AnalyticsQuery) ([]AnalyticsRow, error) {
	v := url.Values{}
	if !q.Start.IsZero() {
		v.Set("start", q.Start.Format(time.DateOnly))
	}
	if !q.End.IsZero() {
		v.Set("end", q.End.Format(time.DateOnly))
	}
	if q.Label != "" {
		v.Set("label", q.Label)
	}
	if q.Subaccounts != "" {
		v.Set("subaccounts", q.Subaccounts)
	}
	var out []AnalyticsRow
	if err := c.do(ctx, request{method: http.MethodGet, path: "/analytics/" + url.PathEscape(string(group)), query: v, idempotent: true}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// TemplateFilter narrows Templates; empty fields match everything.
type TemplateFilter struct {
	Name, Language, Status string
}

// TemplateInfo is a registered template with the placeholders a send must
// fill (openwaba's GET /waba/templates).
type TemplateInfo struct {
	ID              string              `json:"id"`
	Name            string              `json:"name"`
	Language        string              `json:"language"`
	Category        string              `json:"category"` // MARKETING, UTILITY, AUTHENTICATION
	Status          string              `json:"status"`   // APPROVED, PAUSED, DISABLED, REJECTED, ...
	Quality         string              `json:"quality"`  // Meta's quality score: GREEN, YELLOW, RED, UNKNOWN
	Reason          string              `json:"reason"`   // Meta's reason for the last status change
	Sendable        bool                `json:"sendable"` // APPROVED or FLAGGED: the gateway accepts messages with it
	ParameterFormat string              `json:"parameter_format"`
	Components      []TemplateComponent `json:"components"`
	Placeholders    struct {
		Header  []string   `json:"header"`
		Body    []string   `json:"body"`
		Buttons [][]string `json:"buttons"`
	} `json:"placeholders"`
	Updated time.Time `json:"updated"`
}

// TemplateComponent is a part of a template as Meta describes it.
type TemplateComponent struct {
	Type    string `json:"type"` // HEADER, BODY, FOOTER, BUTTONS
	Format  string `json:"format,omitempty"`
	Text    string `json:"text,omitempty"`
	Buttons []struct {
		Type string `json:"type"`
		Text string `json:"text"`
		URL  string `json:"url,omitempty"`
	} `json:"buttons,omitempty"`
}

// Templates lists the account's templates (openwaba only).
func (c *Client) Templates(ctx context.Context, f TemplateFilter) ([]TemplateInfo, error) {
	q := url.Values{}
	for k, v := range map[string]string{"name": f.Name, "language": f.Language, "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out struct {
		Templates []TemplateInfo `json:"templates"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/waba/templates", query: q, idempotent: true}, &out); err != nil {
		return nil, err
	}
	return out.Templates, nil
}

// Sender is one of your numbers with what WhatsApp last reported about
// its health (openwaba's GET /waba/senders).
type Sender struct {
	Number         string `json:"number"`
	PhoneNumberID  string `json:"phone_number_id"`
	WABAID         string `json:"waba_id"`
	MPS            int    `json:"mps"`
	Quality        string `json:"quality"`         // GREEN, YELLOW, RED, UNKNOWN; "" never reported
	MessagingLimit string `json:"messaging_limit"` // TIER_250, TIER_2K, ...
	Restrictions   []struct {
		Type    string     `json:"type"`
		Expires *time.Time `json:"expires"` // nil: until WhatsApp lifts it
	} `json:"restrictions"`
	BanState      string     `json:"ban_state"`
	HealthEvent   string     `json:"health_event"`
	HealthUpdated *time.Time `json:"health_updated"`
	// Marketing is what the gateway does now with marketing templates
	// from the number: send, held (quality RED, or restricted) or failed
	// (the account is disabled).
	Marketing string `json:"marketing"`
}

// Senders lists your numbers and their health (openwaba only).
func (c *Client) Senders(ctx context.Context) ([]Sender, error) {
	var out []Sender
	if err := c.do(ctx, request{method: http.MethodGet, path: "/waba/senders", idempotent: true}, &out); err != nil {
		return nil, err
	}
	return out, nil
}
