package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/openwaba/openwaba"
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
	ID         string          `json:"id"`
	Sender     string          `json:"sender"`
	Recipient  string          `json:"recipient"`
	Type       string          `json:"type"`
	Text       string          `json:"text"`
	Label      *string         `json:"label"`
	ForeignID  *string         `json:"foreign_id"`
	Price      float64         `json:"price"`
	Status     openwaba.Status `json:"status"`
	StatusTime string          `json:"status_time"`
	WAMID      *string         `json:"wamid"`
	Created    string          `json:"created"`
	Scheduled  string          `json:"scheduled"`
	Expires    string          `json:"expires"`
	ErrorCode  *int            `json:"error_code"`
	ErrorText  *string         `json:"error_text"`
	Statuses   []statusView    `json:"statuses"`
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
	v := messageView{
		ID: strconv.FormatInt(m.ID, 10), Sender: m.Sender, Recipient: m.Recipient, Type: string(m.Content.Type),
		Text: m.Text, Label: nullable(m.Label), ForeignID: nullable(m.ForeignID), Price: m.Price.Float(),
		Status: m.Status, StatusTime: timeString(m.StatusAt), WAMID: nullable(m.WAMID),
		Created: timeString(m.CreatedAt), Scheduled: timeString(m.ScheduledAt), Expires: timeString(m.ExpiresAt),
		ErrorCode: intPtr(m.ErrorCode), ErrorText: nullable(m.ErrorText), Statuses: []statusView{},
	}
	for _, e := range history {
		v.Statuses = append(v.Statuses, statusView{Status: e.Status, Time: timeString(e.At), ErrorCode: intPtr(e.ErrorCode), ErrorText: nullable(e.ErrorText)})
	}
	writeJSON(w, http.StatusOK, v)
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
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}
