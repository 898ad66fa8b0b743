package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// seven's journal (GET /api/journal/outbound, /inbound, /replies) for the
// WhatsApp channel: the account's messages in seven's shapes, newest
// first, paged by limit and offset. Field names, types and query
// parameters are those of seven's swagger.yml and of its official JS
// client's JournalResource (journal_client_test.go replays its requests).

const maxJournalLimit = 100 // seven's journalLimit maximum

// journalQuery is what seven's journal parameters select.
type journalQuery struct {
	id            int64
	from, to      time.Time
	number        string // to: the recipient (outbound), our number (inbound)
	state         string
	limit, offset int
}

// journalParam is a parameter's value; seven's JS client sends an unset
// date as the word "undefined" (it passes undefined to URLSearchParams),
// which is no value.
func journalParam(q url.Values, name string) string {
	v := strings.TrimSpace(q.Get(name))
	if v == "undefined" || v == "null" {
		return ""
	}
	return v
}

func parseJournalQuery(q url.Values) (journalQuery, error) {
	var j journalQuery
	if err := checkQuery(q); err != nil {
		return j, err
	}
	var err error
	if v := journalParam(q, "id"); v != "" {
		if j.id, err = strconv.ParseInt(v, 10, 64); err != nil || j.id < 1 {
			return j, badField("id", "must be a message id, got %q", v)
		}
	}
	if j.from, err = listTime("date_from", journalParam(q, "date_from")); err != nil {
		return j, err
	}
	v := journalParam(q, "date_to")
	if j.to, err = listTime("date_to", v); err != nil {
		return j, err
	}
	if _, dateOnly := time.Parse(time.DateOnly, v); dateOnly == nil {
		j.to = j.to.AddDate(0, 0, 1) // a date to is the whole day, as seven's dates are
	}
	if !j.from.IsZero() && !j.to.IsZero() && j.to.Before(j.from) {
		return j, badField("date_to", "must not be before date_from")
	}
	if v := journalParam(q, "to"); v != "" {
		if j.number, err = userID("to", v); err != nil {
			return j, err
		}
	}
	j.state = journalParam(q, "state")
	j.limit = maxJournalLimit
	if v := journalParam(q, "limit"); v != "" {
		if j.limit, err = strconv.Atoi(v); err != nil || j.limit < 1 || j.limit > maxJournalLimit {
			return j, badField("limit", "must be a number from 1 to %d, got %q", maxJournalLimit, v)
		}
	}
	if v := journalParam(q, "offset"); v != "" {
		if j.offset, err = strconv.Atoi(v); err != nil || j.offset < 0 {
			return j, badField("offset", "must be a number from 0, got %q", v)
		}
	}
	return j, nil
}

// journalOutbound is one row of seven's outbound journal.
type journalOutbound struct {
	ID           string  `json:"id"`
	From         string  `json:"from"`
	To           string  `json:"to"`
	Text         string  `json:"text"`
	Timestamp    string  `json:"timestamp"`
	Price        string  `json:"price"`
	Channel      string  `json:"channel"`
	DLR          *string `json:"dlr"`
	DLRTimestamp *string `json:"dlr_timestamp"`
	MCCMNC       *string `json:"mccmnc"`
	Latency      *string `json:"latency"`
	Type         string  `json:"type"`
	Connection   string  `json:"connection"`
	Label        *string `json:"label"`
	ForeignID    *string `json:"foreign_id"`
}

// journalInbound is one row of seven's inbound journal (and of replies).
type journalInbound struct {
	ID               string  `json:"id"`
	From             string  `json:"from"`
	To               string  `json:"to"`
	Text             string  `json:"text"`
	Timestamp        string  `json:"timestamp"`
	Price            string  `json:"price"`
	Channel          string  `json:"channel"`
	Type             string  `json:"type"`
	ReplyToMessageID *string `json:"reply_to_message_id"`
}

func journalTime(t time.Time) string { return t.UTC().Format(webhook.TimeLayout) }

func journalOutboundOf(m openwaba.Message) journalOutbound {
	row := journalOutbound{
		ID: strconv.FormatInt(m.ID, 10), From: m.Sender, To: m.Recipient, Text: m.Text,
		Timestamp: journalTime(m.CreatedAt), Price: m.Charge.String(), Channel: "whatsapp",
		Type: string(m.Content.Type), Connection: "http", Label: nullable(m.Label), ForeignID: nullable(m.ForeignID),
	}
	if !m.Pending() {
		// What WhatsApp reported last, as seven's status reports say it.
		dlr, at := webhook.DLRStatus(m.Status, m.WAMID != ""), journalTime(m.StatusAt)
		row.DLR, row.DLRTimestamp = &dlr, &at
	}
	return row
}

// journalOutbound answers GET /api/journal/outbound.
func (s *Server) journalOutbound(w http.ResponseWriter, r *http.Request) {
	j, err := parseJournalQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	accountID := principalFrom(r.Context()).AccountID
	var msgs []openwaba.Message
	if j.id != 0 {
		m, err := s.cfg.Store.Message(r.Context(), accountID, j.id)
		switch {
		case errors.Is(err, openwaba.ErrNotFound):
		case err != nil:
			s.writeError(w, err, false)
			return
		case j.offset == 0 && journalMatches(m, j):
			msgs = append(msgs, m)
		}
	} else {
		f := openwaba.MessageFilter{Recipient: j.number, From: j.from, To: j.to, Limit: j.limit, Offset: j.offset}
		if j.state != "" {
			if f.Statuses = journalStates(j.state); len(f.Statuses) == 0 {
				writeJSON(w, http.StatusOK, []journalOutbound{}) // a state no message has
				return
			}
		}
		if msgs, err = s.cfg.Store.Messages(r.Context(), accountID, f); err != nil {
			s.writeError(w, err, false)
			return
		}
	}
	out := make([]journalOutbound, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, journalOutboundOf(m))
	}
	writeJSON(w, http.StatusOK, out)
}

// journalStates are the statuses a journal state selects: seven's status
// report value (DELIVERED, NOTDELIVERED, …) or an openwaba status (read).
// seven's values are in capitals (DELIVERED: delivered, read or played),
// openwaba's in small letters (delivered alone).
func journalStates(state string) []openwaba.Status {
	if sts := webhook.DLRStatuses(state); len(sts) > 0 {
		return sts
	}
	if st := openwaba.Status(state); st.Valid() {
		return []openwaba.Status{st}
	}
	return nil
}

// journalMatches reports whether the message found by id passes the
// query's other filters.
func journalMatches(m openwaba.Message, j journalQuery) bool {
	switch {
	case !j.from.IsZero() && m.CreatedAt.Before(j.from), !j.to.IsZero() && !m.CreatedAt.Before(j.to):
		return false
	case j.number != "" && m.Recipient != j.number && !m.User.Has(j.number):
		return false
	case j.state != "":
		for _, st := range journalStates(j.state) {
			if st == m.Status {
				return true
			}
		}
		return false
	}
	return true
}

// journalInbound answers GET /api/journal/inbound: what users wrote.
func (s *Server) journalInbound(w http.ResponseWriter, r *http.Request) {
	s.inboundJournal(w, r, false)
}

// journalReplies answers GET /api/journal/replies: what users wrote to a
// number that had written to them before (openwaba.InboundFilter.Replies).
func (s *Server) journalReplies(w http.ResponseWriter, r *http.Request) { s.inboundJournal(w, r, true) }

func (s *Server) inboundJournal(w http.ResponseWriter, r *http.Request, replies bool) {
	j, err := parseJournalQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	ctx := r.Context()
	accountID := principalFrom(ctx).AccountID
	var msgs []openwaba.InboundMessage
	if j.id != 0 {
		// One message: by id, and only if it passes the other filters.
		f := openwaba.InboundFilter{Sender: j.number, From: j.from, To: j.to, Replies: replies, Before: j.id + 1, Limit: 1}
		found, err := s.cfg.Store.InboundMessages(ctx, accountID, f)
		if err != nil {
			s.writeError(w, err, false)
			return
		}
		if len(found) == 1 && found[0].ID == j.id && j.offset == 0 {
			msgs = found
		}
	} else {
		f := openwaba.InboundFilter{Sender: j.number, From: j.from, To: j.to, Replies: replies, Limit: j.limit, Offset: j.offset}
		if msgs, err = s.cfg.Store.InboundMessages(ctx, accountID, f); err != nil {
			s.writeError(w, err, false)
			return
		}
	}
	out := make([]journalInbound, 0, len(msgs))
	for _, m := range msgs {
		row := journalInbound{
			ID: strconv.FormatInt(m.ID, 10), From: m.From, To: m.Sender, Text: m.Text, Price: "0",
			Timestamp: journalTime(m.Time()), Channel: "whatsapp", Type: m.Type,
		}
		if wamid := m.RepliesTo(); wamid != "" {
			// The message it quotes or reacts to, when it is one of ours.
			if ours, err := s.cfg.Store.MessageByWAMID(ctx, accountID, wamid); err == nil {
				row.ReplyToMessageID = nullable(strconv.FormatInt(ours.ID, 10))
			} else if !errors.Is(err, openwaba.ErrNotFound) {
				s.writeError(w, err, false)
				return
			}
		}
		out = append(out, row)
	}
	writeJSON(w, http.StatusOK, out)
}

// journalVoice answers GET /api/journal/voice with no rows: openwaba makes
// no voice calls. It is served so that seven's JS client's JournalResource
// works whole (its voice method calls it); the parameters are checked as
// for the other journals.
func (s *Server) journalVoice(w http.ResponseWriter, r *http.Request) {
	if _, err := parseJournalQuery(r.URL.Query()); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, []struct{}{})
}
