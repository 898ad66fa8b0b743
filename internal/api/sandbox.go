package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/sandbox"
)

// sandboxInboundRequest is the body of POST /api/sandbox/inbound. Only
// from and to are required; type defaults to text, which needs text.
// msg_id names our message (seven's id) that a button press, reply or
// reaction answers.
type sandboxInboundRequest struct {
	From        flexString `json:"from"`
	To          flexString `json:"to"`
	Type        flexString `json:"type"`
	Text        flexString `json:"text"`
	ID          flexString `json:"id"`
	Description flexString `json:"description"`
	Filename    flexString `json:"filename"`
	Latitude    flexFloat  `json:"latitude"`
	Longitude   flexFloat  `json:"longitude"`
	Name        flexString `json:"name"`
	Address     flexString `json:"address"`
	Phone       flexString `json:"phone"`
	Emoji       flexString `json:"emoji"`
	MsgID       flexString `json:"msg_id"`
	NewWaID     flexString `json:"new_wa_id"`
	Username    flexString `json:"username"`
	// Content is the file of a media message, in base64 (made up when
	// left out), and MIMEType its type.
	Content  flexString `json:"content"`
	MIMEType flexString `json:"mime_type"`
}

// sandboxInbound answers POST /api/sandbox/inbound: the sandbox plays a
// WhatsApp user writing to one of the caller's numbers, sending a signed
// webhook exactly as Meta would. It answers once the gateway stored it.
func (s *Server) sandboxInbound(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req sandboxInboundRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	from, err := sandboxUser(req.From)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	to, err := requiredPhone("to", req.To)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	accountID := principalFrom(ctx).AccountID
	if _, err := s.cfg.Store.Sender(ctx, accountID, to); err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			err = errInvalidSender
		}
		s.writeError(w, err, false)
		return
	}
	um, err := s.userMessage(r, accountID, req)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	wamid, err := s.cfg.Sandbox.InboundMessage(ctx, from, to, um)
	if err != nil {
		s.writeError(w, fmt.Errorf("sandbox inbound: %w", err), false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "msg_id": wamid})
}

// sandboxUser is the user who writes: a number, or the BSUID of a user
// who writes by username (whose number WhatsApp withholds).
func sandboxUser(v flexString) (string, error) {
	switch {
	case v.Invalid:
		return "", badField("from", "must be a string")
	case strings.TrimSpace(v.Value) == "":
		return "", badField("from", "is required")
	}
	return userID("from", v.Value)
}

// userMessage checks the request's type and fields and resolves msg_id to
// the wamid WhatsApp knows the message by.
func (s *Server) userMessage(r *http.Request, accountID int64, req sandboxInboundRequest) (sandbox.UserMessage, error) {
	typ := strings.ToLower(strings.TrimSpace(req.Type.Value))
	if typ == "" {
		typ = sandbox.InboundText
	}
	if !slices.Contains(sandbox.InboundTypes, typ) {
		return sandbox.UserMessage{}, badField("type", "must be one of %s", strings.Join(sandbox.InboundTypes, ", "))
	}
	if typ == sandbox.InboundText && strings.TrimSpace(req.Text.Value) == "" {
		return sandbox.UserMessage{}, badField("text", "is required")
	}
	if n := utf8.RuneCountInString(req.Username.Value); n > 64 {
		return sandbox.UserMessage{}, badField("username", "must be at most 64 characters, got %d", n)
	}
	// Coordinates may be left out (the sandbox makes them up), but one
	// that is given must be a finite number in range.
	for _, c := range []struct {
		name  string
		v     flexFloat
		limit float64
	}{{"latitude", req.Latitude, 90}, {"longitude", req.Longitude, 180}} {
		if c.v.Set {
			if err := coordinate(c.name, c.v, c.limit); err != nil {
				return sandbox.UserMessage{}, err
			}
		}
	}
	um := sandbox.UserMessage{
		Type: typ, Text: req.Text.Value, ID: req.ID.Value, Description: req.Description.Value,
		Filename: req.Filename.Value, Latitude: req.Latitude.Value, Longitude: req.Longitude.Value,
		Name: req.Name.Value, Address: req.Address.Value, Phone: req.Phone.Value,
		Emoji: req.Emoji.Value, NewWaID: req.NewWaID.Value, Username: strings.TrimSpace(req.Username.Value),
	}
	if req.Content.Value != "" || req.MIMEType.Value != "" {
		if !slices.Contains(openwaba.InboundMediaTypes, typ) {
			return um, badField("content", "is only for %s messages", strings.Join(openwaba.InboundMediaTypes, ", "))
		}
		data, err := base64.StdEncoding.DecodeString(req.Content.Value)
		if err != nil {
			return um, badField("content", "must be base64")
		}
		if req.Content.Value != "" {
			um.Data = data
		}
		um.MIMEType = strings.TrimSpace(req.MIMEType.Value)
		if um.MIMEType != "" {
			if _, _, err := mime.ParseMediaType(um.MIMEType); err != nil {
				return um, badField("mime_type", "must be a MIME type")
			}
		}
	}
	switch typ {
	case sandbox.InboundButton, sandbox.InboundButtonReply, sandbox.InboundListReply, sandbox.InboundReaction:
		if req.MsgID.Value == "" {
			return um, badField("msg_id", "is required for %s: the id of the message the user answers", typ)
		}
	}
	if req.MsgID.Value == "" {
		return um, nil
	}
	id, err := strconv.ParseInt(req.MsgID.Value, 10, 64)
	if err != nil {
		return um, badField("msg_id", "must be a message id")
	}
	m, err := s.cfg.Store.Message(r.Context(), accountID, id)
	if err != nil {
		return um, err
	}
	if m.WAMID == "" {
		return um, badField("msg_id", "message %d has not reached WhatsApp yet", id)
	}
	um.Context = m.WAMID
	return um, nil
}
