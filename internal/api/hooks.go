package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/phone"
	"github.com/openwaba/openwaba/internal/webhook"
)

// hookEventTypes are the event types openwaba delivers; seven's others
// (sms_mo, voice_*, rcs) are for channels openwaba does not carry.
var hookEventTypes = openwaba.HookEventTypes()

// hookEventList is "all, dlr, ..." for error messages.
func hookEventList(last string) string {
	names := make([]string, len(hookEventTypes))
	for i, e := range hookEventTypes {
		names[i] = string(e)
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + last + " " + names[len(names)-1]
}

const maxTargetURL = 2048

type hookRequest struct {
	TargetURL     flexString `json:"target_url"`
	EventType     flexString `json:"event_type"`
	RequestMethod flexString `json:"request_method"`
	EventFilter   flexString `json:"event_filter"`
	Headers       flexString `json:"headers"`
	ID            flexString `json:"id"`
}

// hookResult is seven's answer to creating and deleting hooks.
type hookResult struct {
	Success      bool   `json:"success"`
	ID           *int64 `json:"id,omitempty"`
	Code         string `json:"code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// writeHookError answers in the hooks API's shape: success false, the
// code, and a message that names the field.
func (s *Server) writeHookError(w http.ResponseWriter, err error) {
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, hookResult{Code: strconv.Itoa(openwaba.CodeBadRequest), ErrorMessage: fe.Error()})
	case errors.Is(err, openwaba.ErrNotFound):
		writeJSON(w, http.StatusNotFound, hookResult{Code: "404", ErrorMessage: "no such hook or delivery in this account"})
	default:
		s.log.Error("hooks API", "err", err)
		writeServerError(w)
	}
}

// createHook answers POST /api/hooks.
func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	var req hookRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeHookError(w, err)
		return
	}
	h, err := s.validHook(r, req)
	if err != nil {
		s.writeHookError(w, err)
		return
	}
	if h, err = s.cfg.Store.CreateHook(r.Context(), h); err != nil {
		s.writeHookError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, hookResult{Success: true, ID: &h.ID})
}

func (s *Server) validHook(r *http.Request, req hookRequest) (openwaba.Hook, error) {
	h := openwaba.Hook{AccountID: principalFrom(r.Context()).AccountID, CreatedAt: s.now()}
	target := strings.TrimSpace(req.TargetURL.Value)
	switch {
	case req.TargetURL.Invalid || target == "":
		return h, badField("target_url", "is required")
	case utf8.RuneCountInString(target) > maxTargetURL:
		return h, badField("target_url", "must be at most %d characters", maxTargetURL)
	}
	if err := s.cfg.CheckHookTarget(r.Context(), target); err != nil {
		return h, badField("target_url", "%v", err)
	}
	h.TargetURL = target

	ev := openwaba.HookEvent(strings.ToLower(strings.TrimSpace(req.EventType.Value)))
	if ev == "" {
		return h, badField("event_type", "is required: %s", hookEventList("or"))
	}
	if !slices.Contains(hookEventTypes, ev) {
		return h, badField("event_type", "openwaba delivers %s, got %q", hookEventList("and"), req.EventType.Value)
	}
	h.EventType = ev

	h.RequestMethod = strings.ToUpper(strings.TrimSpace(req.RequestMethod.Value))
	switch h.RequestMethod {
	case "":
		h.RequestMethod = "POST" // seven's default
	case "JSON", "POST", "GET":
	default:
		return h, badField("request_method", "must be JSON, POST or GET, got %q", req.RequestMethod.Value)
	}

	if req.EventFilter.Invalid {
		return h, badField("event_filter", "must be one of your sender numbers, as a string")
	}
	if f := strings.TrimSpace(req.EventFilter.Value); f != "" {
		n, err := phone.Normalize(f)
		if err != nil {
			return h, badField("event_filter", "must be one of your sender numbers: %v; got %q", err, f)
		}
		// Deliveries match within the account, so a number that is not
		// the account's makes a hook that never fires. Refused as a send
		// from it is, with one answer for another account's number and
		// nobody's: the answer tells nothing about other accounts.
		if _, err := s.cfg.Store.Sender(r.Context(), h.AccountID, n); errors.Is(err, openwaba.ErrNotFound) {
			return h, badField("event_filter", "must be one of your sender numbers; %s is not", n)
		} else if err != nil {
			return h, fmt.Errorf("looking up the event_filter sender: %w", err)
		}
		h.EventFilter = n
	}
	if req.Headers.Invalid {
		return h, badField("headers", "must be a string of \"Name: value\" lines")
	}
	if _, err := webhook.ParseHeaders(req.Headers.Value); err != nil {
		return h, badField("headers", "%v", err)
	}
	h.Headers = strings.TrimSpace(req.Headers.Value)
	return h, nil
}

// listHooks answers GET /api/hooks.
func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.cfg.Store.Hooks(r.Context(), principalFrom(r.Context()).AccountID)
	if err != nil {
		s.writeHookError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, HooksAnswer(hooks))
}

// deleteHook answers DELETE /api/hooks?id=N (the id may be in the body).
func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("id")
	if raw == "" && r.ContentLength != 0 {
		var req hookRequest
		if err := decodeBody(r, &req); err != nil {
			s.writeHookError(w, err)
			return
		}
		raw = req.ID.Value
	}
	id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || id <= 0 {
		s.writeHookError(w, badField("id", "is required: the id of one of your hooks"))
		return
	}
	if err := s.cfg.Store.DeleteHook(r.Context(), principalFrom(r.Context()).AccountID, id); err != nil {
		s.writeHookError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, hookResult{Success: true, ID: &id})
}

// DeliveryView is a dead webhook delivery as the API and the CLI show it.
type DeliveryView struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	HookID    string `json:"hook_id"`
	TargetURL string `json:"target_url"`
	Event     string `json:"event"`
	MessageID *int64 `json:"msg_id"`
	Status    string `json:"status,omitempty"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
	Created   string `json:"created"`
}

// DeliveryViews converts deliveries for display.
func DeliveryViews(ds []openwaba.Delivery) []DeliveryView {
	out := make([]DeliveryView, 0, len(ds))
	for _, d := range ds {
		v := DeliveryView{
			ID: strconv.FormatInt(d.ID, 10), EventID: webhook.EventID(d.ID), HookID: strconv.FormatInt(d.Hook.ID, 10),
			TargetURL: d.Hook.TargetURL, Event: string(d.Event), Status: string(d.Status), Attempts: d.Attempts,
			LastError: d.LastError, Created: d.CreatedAt.UTC().Format(webhook.TimeLayout),
		}
		if d.MessageID != 0 {
			id := d.MessageID
			v.MessageID = &id
		}
		out = append(out, v)
	}
	return out
}

// deadDeliveries answers GET /api/hooks/dead: the webhooks given up on.
func (s *Server) deadDeliveries(w http.ResponseWriter, r *http.Request) {
	ds, err := s.cfg.Store.DeadDeliveries(r.Context(), principalFrom(r.Context()).AccountID)
	if err != nil {
		s.writeHookError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, DeadAnswer(ds))
}

// replayDelivery answers POST /api/hooks/dead/{id}/replay.
func (s *Server) replayDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeNotFound(w)
		return
	}
	if err := s.cfg.Store.ReplayDelivery(r.Context(), principalFrom(r.Context()).AccountID, id, s.now()); err != nil {
		s.writeHookError(w, err)
		return
	}
	s.cfg.NotifyHooks()
	writeJSON(w, http.StatusOK, hookResult{Success: true, ID: &id})
}
