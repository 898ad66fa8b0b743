package api

import (
	"net/http"
	"strings"

	"github.com/openwaba/openwaba"
)

// adminMediaRetention sets how long the account's new files are kept, in
// days; 0 returns to the gateway's default (--media-retention).
func (s *Server) adminMediaRetention(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var req struct {
		Days flexInt `json:"days"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	if !req.Days.Set {
		s.writeError(w, badField("days", "is required: how many days the account's files are kept, 0 for the gateway's default"), false)
		return
	}
	keep, err := openwaba.MediaRetentionDays(req.Days.Value)
	if err != nil || req.Days.Invalid {
		s.writeError(w, badField("days", "must be a whole number from 0 to %d", openwaba.MaxMediaRetentionDays), false)
		return
	}
	if err := s.cfg.Store.SetMediaRetention(r.Context(), a.ID, keep); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": req.Days.Value})
}

// adminMediaMode sets how the account's media messages given by url are
// sent: link, upload or auto (docs/media.md).
func (s *Server) adminMediaMode(w http.ResponseWriter, r *http.Request) {
	a, err := s.pathAccount(r)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var req struct {
		Mode flexString `json:"mode"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	mode, err := openwaba.ParseMediaMode(strings.TrimSpace(req.Mode.Value))
	if err != nil || req.Mode.Invalid || strings.TrimSpace(req.Mode.Value) == "" {
		s.writeError(w, badField("mode", "must be link, upload or auto"), false)
		return
	}
	if err := s.cfg.Store.SetMediaMode(r.Context(), a.ID, mode); err != nil {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mode": mode})
}
