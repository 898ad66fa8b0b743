package openwaba

import (
	"fmt"
	"time"
)

// Template is a message template registered with Meta for a WhatsApp
// Business Account, as Meta's message_templates endpoint describes it.
type Template struct {
	AccountID       int64
	ID              string // Meta's template id
	Name            string
	Language        string
	Category        string // MARKETING, UTILITY, AUTHENTICATION
	Status          string // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...
	ParameterFormat string // POSITIONAL or NAMED
	Components      []TemplateComponent
	UpdatedAt       time.Time
	// Quality is Meta's quality score: GREEN, YELLOW, RED, UNKNOWN; ""
	// when not known.
	Quality string
	// Reason is the reason Meta gave with the last status change (a
	// rejection reason, or a pause's description), if any.
	Reason string
}

// TemplateComponent is a component of a registered template, in Meta's
// shape (type HEADER, BODY, FOOTER or BUTTONS).
type TemplateComponent struct {
	Type    string              `json:"type"`
	Format  string              `json:"format,omitempty"`
	Text    string              `json:"text,omitempty"`
	Buttons []TemplateButtonDef `json:"buttons,omitempty"`
	Example map[string]any      `json:"example,omitempty"`
}

// TemplateButtonDef is a button of a registered template.
type TemplateButtonDef struct {
	Type        string   `json:"type"` // QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE
	Text        string   `json:"text"`
	URL         string   `json:"url,omitempty"`
	PhoneNumber string   `json:"phone_number,omitempty"`
	Example     []string `json:"example,omitempty"`
}

// PriceCategory returns what sending this template costs as.
func (t Template) PriceCategory() PriceCategory {
	switch t.Category {
	case "UTILITY":
		return CategoryUtility
	case "AUTHENTICATION":
		return CategoryAuthentication
	}
	return CategoryMarketing
}

// Component returns the component of type typ (HEADER, BODY, FOOTER,
// BUTTONS) and whether the template has one.
func (t Template) Component(typ string) (TemplateComponent, bool) {
	for _, c := range t.Components {
		if c.Type == typ {
			return c, true
		}
	}
	return TemplateComponent{}, false
}

// Sendable reports whether messages may be sent with the template: it is
// APPROVED, or FLAGGED (Meta's warning that it may be disabled; it is
// still active). PENDING, REJECTED, PAUSED, DISABLED, IN_APPEAL,
// PENDING_DELETION, DELETED, ARCHIVED and whatever else Meta names are
// not: Meta refuses them (132001, 132015, 132016).
func (t Template) Sendable() bool { return t.Status == "APPROVED" || t.Status == "FLAGGED" }

// NotSendable is the API's answer for a template that is not Sendable: it
// names the template, its status and Meta's reason.
func (t Template) NotSendable() string {
	msg := fmt.Sprintf("%s (%s) is %s, not APPROVED", t.Name, t.Language, t.Status)
	switch t.Status {
	case "PAUSED":
		msg += ": WhatsApp paused it for low quality; it is sendable again when WhatsApp unpauses it"
	case "DISABLED":
		msg += ": WhatsApp disabled it for low quality"
	case "REJECTED":
		msg += ": WhatsApp rejected it"
	case "PENDING", "IN_APPEAL":
		msg += ": WhatsApp has not approved it yet"
	}
	if t.Reason != "" && t.Reason != "NONE" {
		msg += " (" + t.Reason + ")"
	}
	return msg
}

// Meta's error codes for sends of templates that are not sendable.
const (
	MetaCodeTemplateMissing  = 132001 // not found in that language, or not approved
	MetaCodeTemplatePaused   = 132015
	MetaCodeTemplateDisabled = 132016
)

// Gate is the dispatcher's decision about a queued message of template t
// (whose status may have changed since the message was accepted): a
// PAUSED template holds it, looked at again after recheck (Meta unpauses
// after 3 or 6 hours; the message expires, refunded, if its validity ends
// first); any other status that is not Sendable fails it with Meta's code
// (132016 disabled, 132001 otherwise), refunded; a sendable one lets it go.
func (t Template) Gate(now time.Time, recheck time.Duration) Gate {
	switch {
	case t.Sendable():
		return Gate{}
	case t.Status == "PAUSED":
		return Gate{Hold: now.Add(recheck), Text: "held: " + t.NotSendable()}
	case t.Status == "DISABLED":
		return Gate{Fail: true, Code: MetaCodeTemplateDisabled, Text: t.NotSendable()}
	}
	return Gate{Fail: true, Code: MetaCodeTemplateMissing, Text: t.NotSendable()}
}

// Webhook fields of Meta that report changes of templates.
const (
	FieldTemplateStatus   = "message_template_status_update"
	FieldTemplateCategory = "template_category_update"
	FieldTemplateQuality  = "message_template_quality_update"
)

// TemplateReport is one report of Meta about a template of a WhatsApp
// Business Account: a change of one of the template webhook fields.
type TemplateReport struct {
	Field    string // one of the FieldTemplate constants
	WABAID   string
	ID       string // Meta's template id
	Name     string
	Language string
	// message_template_status_update: Event (APPROVED, REJECTED, PAUSED,
	// DISABLED, FLAGGED, REINSTATED, ...), Reason, and Category
	// (message_template_category) when Meta gives it.
	Event  string
	Reason string
	// template_category_update: Category is the new category; with
	// PreviousCategory the change is done, with CorrectCategory (and
	// CategoryAt) Meta announces it for later.
	Category         string
	PreviousCategory string
	CorrectCategory  string
	CategoryAt       time.Time
	// message_template_quality_update: the new and the previous score.
	Quality         string
	PreviousQuality string
	At              time.Time
}

// templateStatusOf is the status a template has after a status event, and
// whether the event sets one: REINSTATED and UNARCHIVED make it APPROVED
// again (sendable); LOCKED, UNLOCKED and LIMIT_EXCEEDED (the account's
// template limit) say nothing of its status.
func templateStatusOf(event string) (string, bool) {
	switch event {
	case "", "LOCKED", "UNLOCKED", "LIMIT_EXCEEDED":
		return "", false
	case "REINSTATED", "UNARCHIVED":
		return "APPROVED", true
	}
	return event, true
}

// Apply returns the template after report r: a status event sets the
// status (and the reason, and the category when Meta names it); a done
// category change sets the category, an announced one changes nothing
// yet; a quality update sets the quality.
func (t Template) Apply(r TemplateReport) Template {
	switch r.Field {
	case FieldTemplateStatus:
		if st, ok := templateStatusOf(r.Event); ok {
			t.Status = st
			t.Reason = r.Reason
		}
		if r.Category != "" {
			t.Category = r.Category
		}
	case FieldTemplateCategory:
		if r.CorrectCategory == "" && r.Category != "" {
			t.Category = r.Category
		}
	case FieldTemplateQuality:
		if r.Quality != "" {
			t.Quality = r.Quality
		}
	}
	if !r.At.IsZero() {
		t.UpdatedAt = r.At
	}
	return t
}

// TemplateState is what a template_status event tells of a template.
type TemplateState struct {
	ID, Name, Language string
	Status, Category   string
	Quality, Reason    string
}

// State is t as a template_status event tells it.
func (t Template) State() TemplateState {
	return TemplateState{ID: t.ID, Name: t.Name, Language: t.Language, Status: t.Status, Category: t.Category, Quality: t.Quality, Reason: t.Reason}
}

// TemplateChange is what a template_status webhook event reports: a
// template of the account before and after a report of Meta. Known is
// false for a template the account's store did not have (created since
// the last sync): Before is then empty and After what the report says.
// Stores keep it as JSON (its Go field names) in the event's outbox row.
type TemplateChange struct {
	Report        TemplateReport
	Known         bool
	Before, After TemplateState
}

// TemplateOrderKey is the outbox order of a template's events.
func TemplateOrderKey(name, language string) string { return "t" + name + ":" + language }

// Editable reports whether Meta lets the template be edited: APPROVED,
// REJECTED and PAUSED templates can be; one in review, disabled or being
// deleted cannot.
func (t Template) Editable() bool {
	switch t.Status {
	case "APPROVED", "REJECTED", "PAUSED":
		return true
	}
	return false
}

// EarlyTemplateReportKeep is how long a report about a template the
// account does not have waits for it: one created through the API is
// stored once Meta answered, and Meta's first review may be faster.
const EarlyTemplateReportKeep = 24 * time.Hour

// KeepsEarly reports whether a report about a template the account does
// not have is kept for it (EarlyTemplateReports): one that names Meta's
// id, which a template created through the API will have.
func (r TemplateReport) KeepsEarly() bool { return r.ID != "" }

// EarlyTemplateReports is t, as Meta's answer made it, with the reports
// about it that came before it was stored, in the order they came: Meta
// reviews a template after it answered its creation, so every such
// report is newer than the answer, whatever its time says. t keeps the
// later of its own time and the reports'.
func EarlyTemplateReports(t Template, reports []TemplateReport) Template {
	stored := t.UpdatedAt
	for _, r := range reports {
		if r.ID == t.ID {
			t = t.Apply(r)
		}
	}
	if t.UpdatedAt.Before(stored) {
		t.UpdatedAt = stored
	}
	return t
}
