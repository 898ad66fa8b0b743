package meta

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// The webhook fields of a WhatsApp Business Account besides messages that
// the gateway acts on: numbers' health and templates' changes. Their
// shapes follow Meta's webhook reference (docs/meta.md lists what was
// relied on).
type (
	wireQuality struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		Event              string `json:"event"`
		CurrentLimit       string `json:"current_limit"`
		// MaxDaily replaces current_limit (removed by Meta in 2026): the
		// portfolio's messaging limit.
		MaxDaily string `json:"max_daily_conversations_per_business"`
	}

	wireAccountUpdate struct {
		PhoneNumber     string `json:"phone_number"`
		Event           string `json:"event"`
		RestrictionInfo []struct {
			RestrictionType string   `json:"restriction_type"`
			Expiration      flexTime `json:"expiration"`
		} `json:"restriction_info"`
		BanInfo *struct {
			WABABanState string `json:"waba_ban_state"`
		} `json:"ban_info"`
		ViolationInfo *struct {
			ViolationType string `json:"violation_type"`
		} `json:"violation_info"`
	}

	wireTemplateChange struct {
		Event    string  `json:"event"`
		ID       flexID  `json:"message_template_id"`
		Name     string  `json:"message_template_name"`
		Language string  `json:"message_template_language"`
		Reason   *string `json:"reason"` // null for a template scheduled for deletion
		Category string  `json:"message_template_category"`
		Other    *struct {
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"other_info"`
		Rejection *struct {
			Reason string `json:"reason"`
		} `json:"rejection_info"`

		PreviousCategory string   `json:"previous_category"`
		NewCategory      string   `json:"new_category"`
		CorrectCategory  string   `json:"correct_category"`
		CategoryAt       flexTime `json:"category_update_timestamp"`

		PreviousQuality string `json:"previous_quality_score"`
		NewQuality      string `json:"new_quality_score"`
	}
)

// healthEvents are the account_update events about the health of numbers;
// the others (partner, pricing, verification events) are skipped.
var healthEvents = map[string]bool{"ACCOUNT_RESTRICTION": true, "ACCOUNT_VIOLATION": true, "DISABLED_UPDATE": true, "ACCOUNT_DELETED": true}

// parseHealth reads a phone_number_quality_update or account_update
// change of the WABA wabaID; ok is false for an account_update event that
// does not concern the health of numbers.
func parseHealth(field, wabaID string, at time.Time, raw json.RawMessage) (openwaba.HealthReport, bool, error) {
	r := openwaba.HealthReport{Field: field, WABAID: wabaID, At: at}
	if field == openwaba.FieldPhoneNumberQuality {
		var v wireQuality
		if err := json.Unmarshal(raw, &v); err != nil {
			return r, false, err
		}
		r.Number, r.Event, r.MessagingLimit = digitsOnly(v.DisplayPhoneNumber), v.Event, v.MaxDaily
		if r.MessagingLimit == "" {
			r.MessagingLimit = v.CurrentLimit
		}
		// A report that names no number or event is skipped, not refused:
		// Meta would deliver the whole batch again for days.
		return r, r.Number != "" && r.Event != "", nil
	}
	var v wireAccountUpdate
	if err := json.Unmarshal(raw, &v); err != nil {
		return r, false, err
	}
	if !healthEvents[v.Event] {
		return r, false, nil
	}
	r.Number, r.Event = digitsOnly(v.PhoneNumber), v.Event
	for _, ri := range v.RestrictionInfo {
		r.Restrictions = append(r.Restrictions, openwaba.Restriction{Type: ri.RestrictionType, Expires: ri.Expiration.Time})
	}
	if v.BanInfo != nil {
		r.BanState = v.BanInfo.WABABanState
	}
	if v.ViolationInfo != nil {
		r.Violation = v.ViolationInfo.ViolationType
	}
	return r, true, nil
}

// parseTemplate reads a change of one of the template fields; ok is false
// for one that names no template (skipped, like unknown statuses).
func parseTemplate(field, wabaID string, at time.Time, raw json.RawMessage) (openwaba.TemplateReport, bool, error) {
	var v wireTemplateChange
	if err := json.Unmarshal(raw, &v); err != nil {
		return openwaba.TemplateReport{}, false, err
	}
	r := openwaba.TemplateReport{
		Field: field, WABAID: wabaID, ID: string(v.ID), Name: v.Name, Language: v.Language, At: at,
	}
	if r.ID == "" && (r.Name == "" || r.Language == "") {
		return r, false, nil
	}
	switch field {
	case openwaba.FieldTemplateStatus:
		r.Event, r.Category = v.Event, v.Category
		var reasons []string
		if v.Reason != nil && *v.Reason != "" && *v.Reason != "NONE" {
			reasons = append(reasons, *v.Reason)
		}
		if v.Rejection != nil && v.Rejection.Reason != "" {
			reasons = append(reasons, v.Rejection.Reason)
		}
		if v.Other != nil && v.Other.Description != "" {
			reasons = append(reasons, v.Other.Description)
		}
		r.Reason = strings.Join(reasons, ": ")
	case openwaba.FieldTemplateCategory:
		r.Category, r.PreviousCategory, r.CorrectCategory, r.CategoryAt = v.NewCategory, v.PreviousCategory, v.CorrectCategory, v.CategoryAt.Time
	case openwaba.FieldTemplateQuality:
		r.Quality, r.PreviousQuality = v.NewQuality, v.PreviousQuality
	}
	return r, true, nil
}

// flexID reads an id Meta sends as a JSON number (template ids) or a
// string, without going through float64.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	*f = flexID(bytes.Trim(b, `"`))
	return nil
}

// flexTime reads a time Meta gives as Unix seconds (a number or a string
// of digits) or as a date-time string (2026-10-30T13:38:04+0000, RFC
// 3339). One it cannot read stays the zero time, like unixSeconds.
type flexTime struct{ time.Time }

func (f *flexTime) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 0 {
			f.Time = time.Unix(n, 0).UTC()
		}
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			f.Time = t.UTC()
			return nil
		}
	}
	return nil
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
