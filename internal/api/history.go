package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// The history endpoints: what users wrote (GET /api/waba/inbound) and one
// conversation both ways (GET /api/waba/conversations/{user}?sender=).
// Inbound messages are shown as the wa_mo webhook shows them
// (webhook.InboundReport), outbound ones as GET /api/waba/messages does.

// listLimit reads a limit parameter: def when absent, 1 to maxListLimit.
func listLimit(q url.Values, def int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxListLimit {
		return 0, badField("limit", "must be a number from 1 to %d, got %q", maxListLimit, v)
	}
	return n, nil
}

// listBefore reads a before parameter: an id of the previous page.
func listBefore(q url.Values) (int64, error) {
	v := q.Get("before")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, badField("before", "must be a message id, got %q", v)
	}
	return n, nil
}

// listRange reads the from and to bounds (listTime); from must not be
// after to.
func listRange(q url.Values) (from, to time.Time, err error) {
	if from, err = listTime("from", q.Get("from")); err != nil {
		return
	}
	if to, err = listTime("to", q.Get("to")); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		err = badField("to", "must not be before from")
	}
	return
}

// listInbound answers GET /api/waba/inbound: the account's inbound
// messages, newest first, filtered by sender (our number), user (any id of
// the user), type and time (from, to), a page of limit at a time; next is
// the "before" of the next page.
func (s *Server) listInbound(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := inboundFilter(q)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	msgs, err := s.cfg.Store.InboundMessages(r.Context(), principalFrom(r.Context()).AccountID, f)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	page := struct {
		Messages []webhook.InboundReport `json:"messages"`
		Next     *string                 `json:"next"`
	}{Messages: make([]webhook.InboundReport, 0, len(msgs))}
	for _, m := range msgs {
		page.Messages = append(page.Messages, webhook.Inbound(m))
	}
	if len(msgs) == f.Limit {
		next := strconv.FormatInt(msgs[len(msgs)-1].ID, 10)
		page.Next = &next
	}
	writeJSON(w, http.StatusOK, page)
}

func inboundFilter(q url.Values) (openwaba.InboundFilter, error) {
	if err := checkQuery(q); err != nil {
		return openwaba.InboundFilter{}, err
	}
	f := openwaba.InboundFilter{Type: q.Get("type")}
	var err error
	if f.Sender, err = optionalPhone("sender", q.Get("sender")); err != nil {
		return f, err
	}
	if v := q.Get("user"); v != "" {
		if f.User, err = userID("user", v); err != nil {
			return f, err
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

// conversationEntry is one message of a conversation: direction "in" with
// the inbound message, or "out" with the outbound one and its statuses.
type conversationEntry struct {
	Direction string                 `json:"direction"`
	Inbound   *webhook.InboundReport `json:"inbound,omitempty"`
	Outbound  *messageView           `json:"outbound,omitempty"`
	// RepliesTo is the wamid of the message an inbound one quotes or
	// reacts to (openwaba.InboundMessage.RepliesTo): an outbound entry's
	// wamid when it answers one of ours.
	RepliesTo *string `json:"replies_to,omitempty"`
}

// getConversation answers GET /api/waba/conversations/{user}?sender=: a
// page of the messages between our number and the user both ways, oldest
// first, with the window's state; next is the "before" of the page of
// older messages. sender may be left out when the account has one number.
func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := principalFrom(r.Context())
	if err := checkQuery(q); err != nil {
		s.writeError(w, err, false)
		return
	}
	user, err := userID("user", r.PathValue("user"))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	f := openwaba.ConversationFilter{AccountID: p.AccountID, User: user}
	if f.Sender, err = optionalPhone("sender", q.Get("sender")); err != nil {
		s.writeError(w, err, false)
		return
	}
	if f.Sender == "" {
		senders, err := s.cfg.Store.Senders(r.Context(), p.AccountID)
		if err != nil {
			s.writeError(w, err, false)
			return
		}
		if len(senders) != 1 {
			s.writeError(w, badField("sender", "is required: the account has %d sender numbers", len(senders)), false)
			return
		}
		f.Sender = senders[0].Number
	}
	if f.Limit, err = listLimit(q, 50); err != nil {
		s.writeError(w, err, false)
		return
	}
	if v := q.Get("before"); v != "" {
		if f.Before, err = parseConversationCursor(v); err != nil {
			s.writeError(w, err, false)
			return
		}
	}
	c, err := s.cfg.Store.Conversation(r.Context(), f)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	now := s.now()
	page := struct {
		Sender          string              `json:"sender"`
		User            string              `json:"user"`
		PhoneNumber     *string             `json:"phone_number"`
		UserID          *string             `json:"user_id"`
		ParentUserID    *string             `json:"parent_user_id"`
		Username        *string             `json:"username"`
		WindowOpen      bool                `json:"window_open"`
		WindowOpenUntil *string             `json:"window_open_until"`
		Messages        []conversationEntry `json:"messages"`
		Next            *string             `json:"next"`
	}{
		Sender: c.Sender, User: user, PhoneNumber: nullable(c.User.WaID), UserID: nullable(c.User.UserID),
		ParentUserID: nullable(c.User.ParentUserID), Username: nullable(c.User.Username),
		WindowOpen: c.WindowOpen(now), Messages: make([]conversationEntry, 0, len(c.Entries)),
	}
	if !c.WindowOpenUntil.IsZero() {
		until := timeString(c.WindowOpenUntil)
		page.WindowOpenUntil = &until
	}
	for _, e := range c.Entries {
		if e.Inbound != nil {
			in := webhook.Inbound(*e.Inbound)
			page.Messages = append(page.Messages, conversationEntry{Direction: "in", Inbound: &in, RepliesTo: nullable(e.Inbound.RepliesTo())})
			continue
		}
		history := e.Statuses
		if history == nil {
			history = []openwaba.StatusEvent{}
		}
		out := viewOf(*e.Outbound, history)
		page.Messages = append(page.Messages, conversationEntry{Direction: "out", Outbound: &out})
	}
	if !c.Next.Zero() {
		next := conversationCursorString(c.Next)
		page.Next = &next
	}
	writeJSON(w, http.StatusOK, page)
}

// A conversation cursor travels as an opaque token: base64url of
// "<unix ms>.<in|out>.<id>".
func conversationCursorString(c openwaba.ConversationCursor) string {
	dir := "out"
	if c.Inbound {
		dir = "in"
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s.%d", c.At.UnixMilli(), dir, c.ID))
}

func parseConversationCursor(v string) (openwaba.ConversationCursor, error) {
	bad := badField("before", "must be the next of a previous page, got %q", v)
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return openwaba.ConversationCursor{}, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || (parts[1] != "in" && parts[1] != "out") {
		return openwaba.ConversationCursor{}, bad
	}
	at, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || at < 0 || id < 1 {
		return openwaba.ConversationCursor{}, bad
	}
	return openwaba.ConversationCursor{At: time.UnixMilli(at).UTC(), Inbound: parts[1] == "in", ID: id}, nil
}
