package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// messageID parses the {id} path value; anything but decimal digits cannot
// be one of ours and is answered like an unknown id.
func messageID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

type statusView struct {
	Status    openwaba.Status `json:"status"`
	Time      string          `json:"time"`
	ErrorCode *int            `json:"error_code,omitempty"`
	ErrorText *string         `json:"error_text,omitempty"`
}

type messageView struct {
	ID        string  `json:"id"`
	Sender    string  `json:"sender"`
	Recipient string  `json:"recipient"`
	UserID    *string `json:"user_id"`
	Username  *string `json:"username"`
	Type      string  `json:"type"`
	Text      string  `json:"text"`
	Label     *string `json:"label"`
	ForeignID *string `json:"foreign_id"`
	Price     float64 `json:"price"`
	// What WhatsApp's status reports said of the price, and what the
	// message costs once they did (or it was refunded).
	Billable        *bool           `json:"billable"`
	PricingCategory *string         `json:"pricing_category"`
	PricingType     *string         `json:"pricing_type"`
	SettledPrice    *float64        `json:"settled_price"`
	Status          openwaba.Status `json:"status"`
	StatusTime      string          `json:"status_time"`
	WAMID           *string         `json:"wamid"`
	Created         string          `json:"created"`
	Scheduled       string          `json:"scheduled"`
	Expires         string          `json:"expires"`
	ErrorCode       *int            `json:"error_code"`
	ErrorText       *string         `json:"error_text"`
	Statuses        []statusView    `json:"statuses,omitempty"`
}

// viewOf shows a message; with its journal when history is not nil.
func viewOf(m openwaba.Message, history []openwaba.StatusEvent) messageView {
	v := messageView{
		ID: strconv.FormatInt(m.ID, 10), Sender: m.Sender, Recipient: m.Recipient, Type: string(m.Content.Type),
		UserID: nullable(webhook.RecipientUserID(m)), Username: nullable(m.User.Username),
		Text: m.Text, Label: nullable(m.Label), ForeignID: nullable(m.ForeignID), Price: m.Price.Float(),
		Status: m.Status, StatusTime: timeString(m.StatusAt), WAMID: nullable(m.WAMID),
		Created: timeString(m.CreatedAt), Scheduled: timeString(m.ScheduledAt), Expires: timeString(m.ExpiresAt),
		ErrorCode: intPtr(m.ErrorCode), ErrorText: nullable(m.ErrorText),
	}
	v.Billable, v.PricingCategory, v.PricingType, v.SettledPrice = webhook.Settlement(m)
	if history != nil {
		v.Statuses = []statusView{}
	}
	for _, e := range history {
		v.Statuses = append(v.Statuses, statusView{Status: e.Status, Time: timeString(e.At), ErrorCode: intPtr(e.ErrorCode), ErrorText: nullable(e.ErrorText)})
	}
	return v
}

func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func intPtr(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// getMessage answers GET /api/waba/messages/{id}: the message, its status
// and the journal of every status it went through.
func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, ok := messageID(r)
	if !ok {
		writeNotFound(w)
		return
	}
	m, err := s.cfg.Store.Message(r.Context(), p.AccountID, id)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	history, err := s.cfg.Store.StatusHistory(r.Context(), p.AccountID, id)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if history == nil {
		history = []openwaba.StatusEvent{}
	}
	writeJSON(w, http.StatusOK, viewOf(m, history))
}

// deleteMessage answers DELETE /api/waba/messages/{id}: a message that has
// not been handed to WhatsApp is cancelled and refunded.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, ok := messageID(r)
	if !ok {
		writeNotFound(w)
		return
	}
	if _, err := s.cfg.Store.Cancel(r.Context(), p.AccountID, id, s.now()); err != nil {
		s.writeError(w, err, false)
		return
	}
	s.cfg.NotifyHooks() // the deleted status may be reported
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

const maxListLimit = 1000

// listMessages answers GET /api/waba/messages: the account's messages,
// newest first, filtered by foreign_id, label, recipient (any id of the
// user), sender, template, status and creation time (from, to), a page of
// limit at a time; next is the "before" of the next page.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q); err != nil {
		s.writeError(w, err, false)
		return
	}
	f, err := messageFilter(q)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	msgs, err := s.cfg.Store.Messages(r.Context(), principalFrom(r.Context()).AccountID, f)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	page := struct {
		Messages []messageView `json:"messages"`
		Next     *string       `json:"next"`
	}{Messages: make([]messageView, 0, len(msgs))}
	for _, m := range msgs {
		page.Messages = append(page.Messages, viewOf(m, nil))
	}
	if len(msgs) == f.Limit {
		next := strconv.FormatInt(msgs[len(msgs)-1].ID, 10)
		page.Next = &next
	}
	writeJSON(w, http.StatusOK, page)
}

func messageFilter(q url.Values) (openwaba.MessageFilter, error) {
	f := openwaba.MessageFilter{ForeignID: q.Get("foreign_id"), Label: q.Get("label"), Template: q.Get("template")}
	var err error
	if f.Sender, err = optionalPhone("sender", q.Get("sender")); err != nil {
		return f, err
	}
	if v := q.Get("recipient"); v != "" {
		if f.Recipient, err = userID("recipient", v); err != nil {
			return f, err
		}
	}
	if v := q.Get("status"); v != "" {
		if f.Status = openwaba.Status(v); !f.Status.Valid() {
			return f, badField("status", "must be one of %s, got %q", statusList(), v)
		}
	}
	if f.From, f.To, err = listRange(q); err != nil {
		return f, err
	}
	if f.Limit, err = listLimit(q, 100); err != nil {
		return f, err
	}
	f.Before, err = listBefore(q)
	return f, err
}

// statusList names the statuses a message can have, for error texts.
func statusList() string {
	var names []string
	for _, st := range openwaba.Statuses() {
		names = append(names, string(st))
	}
	return strings.Join(names, ", ")
}

// optionalPhone reads one of our numbers given in a query: "" or a number
// as requiredPhone takes it.
func optionalPhone(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	return requiredPhone(field, flexString{Value: v})
}

// listTime reads a from/to bound: a date, a date and time (UTC) or a Unix
// timestamp.
func listTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range []string{time.DateTime, time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badField(field, "must be YYYY-MM-DD, YYYY-MM-DD hh:mm:ss (UTC), RFC 3339 or a Unix timestamp, got %q", v)
}
