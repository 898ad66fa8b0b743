package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/openwaba/openwaba"
)

// The sandbox plays Meta's management webhooks on request, the way it
// plays users writing (InboundMessage): a number's quality or messaging
// limit changes, its account is restricted or banned, a template is
// paused, disabled, re-categorised or re-rated. Each is posted, signed,
// to the webhook URL, and the call returns once the receiver took it.

// ErrUnknownTemplate is returned for a template the sandbox does not have.
var ErrUnknownTemplate = errors.New("sandbox: unknown template")

// ErrInvalidChange is returned for a change the sandbox cannot report.
var ErrInvalidChange = errors.New("sandbox: invalid change")

// QualityEvents are the events of phone_number_quality_update.
var QualityEvents = []string{"FLAGGED", "UNFLAGGED", "UPGRADE", "DOWNGRADE", "ONBOARDING", "THROUGHPUT_UPGRADE"}

// AccountEvents are the events of account_update the sandbox plays.
var AccountEvents = []string{"ACCOUNT_RESTRICTION", "ACCOUNT_VIOLATION", "DISABLED_UPDATE", "ACCOUNT_DELETED"}

// TemplateStatuses are the status events of message_template_status_update
// the sandbox plays.
var TemplateStatuses = []string{"APPROVED", "REJECTED", "PENDING", "PAUSED", "DISABLED", "FLAGGED", "REINSTATED", "IN_APPEAL", "PENDING_DELETION", "DELETED", "ARCHIVED", "UNARCHIVED", "LOCKED", "UNLOCKED"}

// managementChange is the webhook of a management field: the value object
// as Meta's reference shows it.
type managementChange struct {
	Value any    `json:"value"`
	Field string `json:"field"`
}

type managementEntry struct {
	ID      string             `json:"id"`
	Time    int64              `json:"time"`
	Changes []managementChange `json:"changes"`
}

type managementEnvelope struct {
	Object string            `json:"object"`
	Entry  []managementEntry `json:"entry"`
}

// postManagement posts one change of field about WABA wabaID.
func (s *Sandbox) postManagement(ctx context.Context, wabaID, field string, value any) error {
	if s.cfg.WebhookURL == "" {
		return errors.New("sandbox: no WebhookURL configured")
	}
	body, err := marshal(managementEnvelope{Object: "whatsapp_business_account", Entry: []managementEntry{{
		ID: wabaID, Time: s.now().Unix(), Changes: []managementChange{{Value: value, Field: field}},
	}}})
	if err != nil {
		return fmt.Errorf("sandbox: %s: %w", field, err)
	}
	if err := s.post(ctx, body); err != nil {
		return fmt.Errorf("sandbox: %s: %w", field, err)
	}
	return nil
}

// NumberQuality reports a phone_number_quality_update of the business
// number display: event (one of QualityEvents; FLAGGED means the quality
// rating fell to low), and the messaging limit when limit is set (e.g.
// TIER_2K), in both the old current_limit and the new
// max_daily_conversations_per_business.
func (s *Sandbox) NumberQuality(ctx context.Context, display, event, limit string) error {
	num, ok := s.numberByDisplay(ctx, display)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownNumber, display)
	}
	if !slices.Contains(QualityEvents, event) {
		return fmt.Errorf("%w: event %q of phone_number_quality_update", ErrInvalidChange, event)
	}
	v := map[string]string{"display_phone_number": num.Display, "event": event}
	if limit != "" {
		v["current_limit"], v["max_daily_conversations_per_business"] = limit, limit
	}
	return s.postManagement(ctx, num.WABAID, openwaba.FieldPhoneNumberQuality, v)
}

// AccountChange is an account_update the sandbox reports.
type AccountChange struct {
	Event        string // one of AccountEvents
	Restrictions []openwaba.Restriction
	BanState     string // DISABLED_UPDATE: DISABLE, SCHEDULE_FOR_DISABLE or REINSTATE
	Violation    string // ACCOUNT_VIOLATION: e.g. SCAM
	// Account makes it a report about the whole account (every number of
	// the WABA) rather than the number.
	Account bool
}

// AccountUpdate reports an account_update of the WABA of the business
// number display, about that number unless c.Account.
func (s *Sandbox) AccountUpdate(ctx context.Context, display string, c AccountChange) error {
	num, ok := s.numberByDisplay(ctx, display)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownNumber, display)
	}
	v := map[string]any{"event": c.Event}
	if !c.Account {
		v["phone_number"] = num.Display
	}
	switch c.Event {
	case "ACCOUNT_RESTRICTION":
		info := []map[string]any{}
		for _, r := range c.Restrictions {
			ri := map[string]any{"restriction_type": r.Type}
			if !r.Expires.IsZero() {
				ri["expiration"] = r.Expires.Unix()
			}
			info = append(info, ri)
		}
		v["restriction_info"] = info
	case "DISABLED_UPDATE":
		if c.BanState == "" {
			return fmt.Errorf("%w: DISABLED_UPDATE needs a ban state", ErrInvalidChange)
		}
		v["ban_info"] = map[string]string{"waba_ban_state": c.BanState, "waba_ban_date": s.now().Format("January 2, 2006")}
	case "ACCOUNT_VIOLATION":
		v["violation_info"] = map[string]string{"violation_type": c.Violation}
	case "ACCOUNT_DELETED":
	default:
		return fmt.Errorf("%w: event %q of account_update", ErrInvalidChange, c.Event)
	}
	return s.postManagement(ctx, num.WABAID, openwaba.FieldAccountUpdate, v)
}

// TemplateChange is a change of a template the sandbox makes and reports;
// each field set is one webhook, in this order.
type TemplateChange struct {
	Status   string // one of TemplateStatuses: message_template_status_update
	Reason   string // with Status; Meta's default for it when empty
	Category string // MARKETING, UTILITY or AUTHENTICATION: template_category_update
	Quality  string // GREEN, YELLOW, RED or UNKNOWN: message_template_quality_update
}

// ChangeTemplate changes the sandbox's template name in language as Meta
// would (so that its template list and its sends agree from now on) and
// reports each change to the WABA of the business number display.
func (s *Sandbox) ChangeTemplate(ctx context.Context, display, name, language string, c TemplateChange) error {
	num, ok := s.numberByDisplay(ctx, display)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownNumber, display)
	}
	t, ok := s.template(name, language)
	if !ok {
		return fmt.Errorf("%w: %s (%s)", ErrUnknownTemplate, name, language)
	}
	if c.Status == "" && c.Category == "" && c.Quality == "" {
		return fmt.Errorf("%w: nothing to change: status, category or quality", ErrInvalidChange)
	}
	if c.Status != "" && !slices.Contains(TemplateStatuses, c.Status) {
		return fmt.Errorf("%w: status %q", ErrInvalidChange, c.Status)
	}
	if c.Category != "" && !slices.Contains([]string{"MARKETING", "UTILITY", "AUTHENTICATION"}, c.Category) {
		return fmt.Errorf("%w: category %q", ErrInvalidChange, c.Category)
	}
	if c.Quality != "" && !slices.Contains([]string{"GREEN", "YELLOW", "RED", "UNKNOWN"}, c.Quality) {
		return fmt.Errorf("%w: quality %q", ErrInvalidChange, c.Quality)
	}
	id, _ := strconv.ParseInt(t.ID, 10, 64) // Meta sends template ids as numbers
	ids := func(v map[string]any) map[string]any {
		v["message_template_id"], v["message_template_name"], v["message_template_language"] = id, t.Name, t.Language
		return v
	}
	if c.Status != "" {
		v := ids(map[string]any{"event": c.Status, "message_template_category": t.Category, "reason": c.Reason})
		switch c.Status {
		case "PAUSED":
			v["reason"] = "NONE"
			until := s.now().Add(3 * time.Hour).UTC()
			v["other_info"] = map[string]string{"title": "FIRST_PAUSE",
				"description": "Your WhatsApp message template has been paused for 3 hours until " + until.Format("Jan 2 at 3:04 PM UTC") + " because it had issues."}
			if c.Reason != "" {
				v["other_info"].(map[string]string)["description"] = c.Reason
			}
		case "REJECTED":
			if c.Reason == "" {
				v["reason"] = "INVALID_FORMAT"
			}
		case "DISABLED":
			v["disable_info"] = map[string]int64{"disable_date": s.now().Unix()}
		}
		if v["reason"] == "" {
			v["reason"] = "NONE"
		}
		s.applyTemplate(t, openwaba.TemplateReport{Field: openwaba.FieldTemplateStatus, Event: c.Status})
		if err := s.postManagement(ctx, num.WABAID, openwaba.FieldTemplateStatus, v); err != nil {
			return err
		}
	}
	if c.Category != "" {
		t, _ = s.template(name, language)
		v := ids(map[string]any{"previous_category": t.Category, "new_category": c.Category})
		s.applyTemplate(t, openwaba.TemplateReport{Field: openwaba.FieldTemplateCategory, Category: c.Category})
		if err := s.postManagement(ctx, num.WABAID, openwaba.FieldTemplateCategory, v); err != nil {
			return err
		}
	}
	if c.Quality != "" {
		t, _ = s.template(name, language)
		previous := t.Quality
		if previous == "" {
			previous = "UNKNOWN"
		}
		v := ids(map[string]any{"previous_quality_score": previous, "new_quality_score": c.Quality})
		s.applyTemplate(t, openwaba.TemplateReport{Field: openwaba.FieldTemplateQuality, Quality: c.Quality})
		if err := s.postManagement(ctx, num.WABAID, openwaba.FieldTemplateQuality, v); err != nil {
			return err
		}
	}
	return nil
}

// applyTemplate stores t changed by r (Meta's transitions: a reinstated
// template is approved again, and so on).
func (s *Sandbox) applyTemplate(t openwaba.Template, r openwaba.TemplateReport) {
	t = t.Apply(r)
	t.Reason = ""
	s.AddTemplate(t)
}
