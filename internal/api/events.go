package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openwaba/openwaba"
)

type eventRequest struct {
	From  flexString `json:"from"`
	To    flexString `json:"to"`
	Event flexString `json:"event"`
	MsgID flexString `json:"msg_id"`
	Emoji flexString `json:"emoji"`
}

// sendEvent answers POST /api/waba/events: read receipts, typing
// indicators and reactions. Errors carry "success":false.
func (s *Server) sendEvent(w http.ResponseWriter, r *http.Request) {
	var req eventRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, true)
		return
	}
	var err error
	switch ev := strings.ToLower(strings.TrimSpace(req.Event.Value)); ev {
	case "read", "is_typing":
		err = s.readEvent(r.Context(), &req, ev == "is_typing")
	case "reaction":
		err = s.reaction(r.Context(), &req)
	case "":
		err = badField("event", "is required: read, is_typing or reaction")
	default:
		err = badField("event", "must be read, is_typing or reaction, got %q", req.Event.Value)
	}
	if err != nil {
		s.writeError(w, err, true)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// readEvent marks the user's message as read (msg_id, or the newest
// message from to), optionally with the typing indicator, which WhatsApp
// ties to a received message too.
func (s *Server) readEvent(ctx context.Context, req *eventRequest, typing bool) error {
	accountID := principalFrom(ctx).AccountID
	from, err := requiredPhone("from", req.From)
	if err != nil {
		return err
	}
	sender, err := s.cfg.Reads.Sender(ctx, accountID, from)
	if errors.Is(err, openwaba.ErrNotFound) {
		return errInvalidSender
	} else if err != nil {
		return fmt.Errorf("looking up sender: %w", err)
	}
	msgID, to := strings.TrimSpace(req.MsgID.Value), strings.TrimSpace(req.To.Value)
	var in openwaba.InboundMessage
	switch {
	case msgID != "":
		in, err = s.cfg.Store.InboundByWAMID(ctx, accountID, msgID)
		if err == nil && in.Sender != sender.Number {
			return badField("msg_id", "message %s was not sent to %s", msgID, sender.Number)
		}
	case to != "":
		user, perr := userID("to", to) // a number or a BSUID
		if perr != nil {
			return perr
		}
		in, err = s.cfg.Store.LastInbound(ctx, accountID, sender.Number, user)
		if errors.Is(err, openwaba.ErrNotFound) {
			return badField("to", "%s has not written to %s; there is no message to mark", user, sender.Number)
		}
	default:
		return badField("to", "at least one of to or msg_id is required")
	}
	if err != nil {
		return err
	}
	return s.cfg.Upstream.MarkRead(ctx, sender, in.WAMID, typing)
}

// reaction reacts to a message named only by msg_id: ours (by id or
// WhatsApp id) or one a user sent, within the caller's account.
func (s *Server) reaction(ctx context.Context, req *eventRequest) error {
	accountID := principalFrom(ctx).AccountID
	msgID := strings.TrimSpace(req.MsgID.Value)
	if msgID == "" {
		return badField("msg_id", "is required for reactions")
	}
	if !req.Emoji.Set {
		return badField("emoji", "is required (an empty string removes the reaction)")
	}
	if utf8.RuneCountInString(req.Emoji.Value) > 10 {
		return badField("emoji", "must be a single emoji")
	}
	senderNumber, to, wamid, err := s.findReactionTarget(ctx, accountID, msgID)
	if err != nil {
		return err
	}
	sender, err := s.cfg.Reads.Sender(ctx, accountID, senderNumber)
	if errors.Is(err, openwaba.ErrNotFound) {
		return errInvalidSender
	} else if err != nil {
		return fmt.Errorf("looking up sender: %w", err)
	}
	return s.cfg.Upstream.React(ctx, sender, to, wamid, req.Emoji.Value)
}

func (s *Server) findReactionTarget(ctx context.Context, accountID int64, msgID string) (sender, to, wamid string, err error) {
	if id, perr := strconv.ParseInt(msgID, 10, 64); perr == nil {
		m, err := s.cfg.Store.Message(ctx, accountID, id)
		if err == nil {
			if m.WAMID == "" {
				return "", "", "", badField("msg_id", "message %s has not reached WhatsApp yet", msgID)
			}
			return m.Sender, m.Recipient, m.WAMID, nil
		}
		if !errors.Is(err, openwaba.ErrNotFound) {
			return "", "", "", err
		}
	}
	if m, err := s.cfg.Store.MessageByWAMID(ctx, accountID, msgID); err == nil {
		return m.Sender, m.Recipient, m.WAMID, nil
	} else if !errors.Is(err, openwaba.ErrNotFound) {
		return "", "", "", err
	}
	in, err := s.cfg.Store.InboundByWAMID(ctx, accountID, msgID)
	if err != nil {
		return "", "", "", err
	}
	return in.Sender, in.From, in.WAMID, nil
}
