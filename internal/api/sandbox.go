package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/openwaba/openwaba"
)

// sandboxInbound answers POST /api/sandbox/inbound: the sandbox plays a
// WhatsApp user writing to one of the caller's numbers, sending a signed
// webhook exactly as Meta would. It answers once the gateway stored it.
func (s *Server) sandboxInbound(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req struct {
		From flexString `json:"from"`
		To   flexString `json:"to"`
		Text flexString `json:"text"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	from, err := requiredPhone("from", req.From)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	to, err := requiredPhone("to", req.To)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if strings.TrimSpace(req.Text.Value) == "" {
		s.writeError(w, badField("text", "is required"), false)
		return
	}
	if _, err := s.cfg.Store.Sender(ctx, principalFrom(ctx).AccountID, to); err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			err = errInvalidSender
		}
		s.writeError(w, err, false)
		return
	}
	wamid, err := s.cfg.Sandbox.Inbound(ctx, from, to, req.Text.Value)
	if err != nil {
		s.writeError(w, fmt.Errorf("sandbox inbound: %w", err), false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "msg_id": wamid})
}
