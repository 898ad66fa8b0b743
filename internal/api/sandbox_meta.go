package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/sandbox"
)

// The sandbox plays Meta's management webhooks for the caller's numbers
// and templates (docs/api.md#sandbox): each answers once the gateway has
// stored what the webhook reported, so that the next request sees it.

// sandboxNumber is the "number" field: one of the caller's numbers. An
// empty one is the account's first number when optional.
func (s *Server) sandboxNumber(ctx context.Context, v flexString, optional bool) (string, error) {
	accountID := principalFrom(ctx).AccountID
	if optional && strings.TrimSpace(v.Value) == "" {
		senders, err := s.cfg.Store.Senders(ctx, accountID)
		if err != nil {
			return "", fmt.Errorf("listing senders: %w", err)
		}
		if len(senders) == 0 {
			return "", errInvalidSender
		}
		return senders[0].Number, nil
	}
	number, err := requiredPhone("number", v)
	if err != nil {
		return "", err
	}
	if _, err := s.cfg.Store.Sender(ctx, accountID, number); err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			return "", errInvalidSender
		}
		return "", fmt.Errorf("looking up sender: %w", err)
	}
	return number, nil
}

// oneOf reads field v as one of the values (upper case); required unless
// optional.
func oneOf(field string, v flexString, values []string, optional bool) (string, error) {
	got := strings.ToUpper(strings.TrimSpace(v.Value))
	switch {
	case v.Invalid:
		return "", badField(field, "must be a string")
	case got == "" && optional:
		return "", nil
	case got == "":
		return "", badField(field, "is required: one of %s", strings.Join(values, ", "))
	case !slices.Contains(values, got):
		return "", badField(field, "must be one of %s, got %q", strings.Join(values, ", "), v.Value)
	}
	return got, nil
}

// sandboxDone answers a management injection: success, or the error.
func (s *Server) sandboxDone(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	case errors.Is(err, sandbox.ErrUnknownTemplate):
		s.writeError(w, badField("template", "%v", err), false)
	case errors.Is(err, sandbox.ErrInvalidChange):
		s.writeError(w, badField("event", "%v", err), false)
	default:
		s.writeError(w, fmt.Errorf("sandbox: %w", err), false)
	}
}

// sandboxNumberQuality answers POST /api/sandbox/number_quality: Meta
// reports a phone_number_quality_update of one of the caller's numbers.
func (s *Server) sandboxNumberQuality(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Number         flexString `json:"number"`
		Event          flexString `json:"event"`
		MessagingLimit flexString `json:"messaging_limit"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	number, err := s.sandboxNumber(r.Context(), req.Number, false)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	event, err := oneOf("event", req.Event, sandbox.QualityEvents, false)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	limit, err := oneOf("messaging_limit", req.MessagingLimit, messagingLimits, true)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	s.sandboxDone(w, s.cfg.Sandbox.NumberQuality(r.Context(), number, event, limit))
}

// messagingLimits are Meta's messaging limit tiers.
var messagingLimits = []string{"TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED", "TIER_NOT_SET"}

// sandboxAccountUpdate answers POST /api/sandbox/account_update: Meta
// restricts, bans or reinstates the account of one of the caller's
// numbers.
func (s *Server) sandboxAccountUpdate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Number          flexString `json:"number"`
		Event           flexString `json:"event"`
		RestrictionType flexString `json:"restriction_type"`
		Expiration      flexString `json:"expiration"`
		BanState        flexString `json:"ban_state"`
		Violation       flexString `json:"violation"`
		Account         flexBool   `json:"account"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	number, err := s.sandboxNumber(r.Context(), req.Number, false)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	c := sandbox.AccountChange{Account: req.Account.Value}
	if c.Event, err = oneOf("event", req.Event, sandbox.AccountEvents, false); err != nil {
		s.writeError(w, err, false)
		return
	}
	switch c.Event {
	case "ACCOUNT_RESTRICTION":
		typ, err := oneOf("restriction_type", req.RestrictionType, []string{openwaba.RestrictBusinessInitiated, openwaba.RestrictCustomerInitiated, openwaba.RestrictAddPhoneNumber}, false)
		if err != nil {
			s.writeError(w, err, false)
			return
		}
		rs := openwaba.Restriction{Type: typ}
		if v := strings.TrimSpace(req.Expiration.Value); v != "" {
			if rs.Expires, err = parseInstant(v); err != nil {
				s.writeError(w, badField("expiration", "must be a Unix timestamp or an RFC 3339 time, got %q", v), false)
				return
			}
		}
		c.Restrictions = []openwaba.Restriction{rs}
	case "DISABLED_UPDATE":
		if c.BanState, err = oneOf("ban_state", req.BanState, []string{openwaba.BanDisabled, openwaba.BanScheduled, openwaba.BanReinstated}, false); err != nil {
			s.writeError(w, err, false)
			return
		}
	case "ACCOUNT_VIOLATION":
		c.Violation = strings.ToUpper(strings.TrimSpace(req.Violation.Value))
		if c.Violation == "" {
			c.Violation = "SCAM"
		}
	}
	s.sandboxDone(w, s.cfg.Sandbox.AccountUpdate(r.Context(), number, c))
}

// parseInstant reads a Unix timestamp or an RFC 3339 time.
func parseInstant(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339, v)
}

// sandboxTemplate answers POST /api/sandbox/template: Meta pauses,
// disables, rejects, approves, re-categorises or re-rates one of the
// sandbox's templates, and reports it to the WABA of one of the caller's
// numbers.
func (s *Server) sandboxTemplate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Number   flexString `json:"number"`
		Template flexString `json:"template"`
		Language flexString `json:"language"`
		Status   flexString `json:"status"`
		Reason   flexString `json:"reason"`
		Category flexString `json:"category"`
		Quality  flexString `json:"quality"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	number, err := s.sandboxNumber(r.Context(), req.Number, true)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	name, lang := strings.TrimSpace(req.Template.Value), strings.TrimSpace(req.Language.Value)
	if name == "" {
		s.writeError(w, badField("template", "is required"), false)
		return
	}
	if lang == "" {
		s.writeError(w, badField("language", "is required"), false)
		return
	}
	var c sandbox.TemplateChange
	if c.Status, err = oneOf("status", req.Status, sandbox.TemplateStatuses, true); err != nil {
		s.writeError(w, err, false)
		return
	}
	if c.Category, err = oneOf("category", req.Category, []string{"MARKETING", "UTILITY", "AUTHENTICATION"}, true); err != nil {
		s.writeError(w, err, false)
		return
	}
	if c.Quality, err = oneOf("quality", req.Quality, []string{"GREEN", "YELLOW", "RED", "UNKNOWN"}, true); err != nil {
		s.writeError(w, err, false)
		return
	}
	if c.Status == "" && c.Category == "" && c.Quality == "" {
		s.writeError(w, badField("status", "or category or quality is required"), false)
		return
	}
	c.Reason = strings.TrimSpace(req.Reason.Value)
	s.sandboxDone(w, s.cfg.Sandbox.ChangeTemplate(r.Context(), number, name, lang, c))
}
