package openwaba

import "time"

// Template is a message template registered with Meta for a WhatsApp
// Business Account, as Meta's message_templates endpoint describes it.
type Template struct {
	AccountID       int64
	ID              string // Meta's template id
	Name            string
	Language        string
	Category        string // MARKETING, UTILITY, AUTHENTICATION
	Status          string // APPROVED, PENDING, REJECTED, ...
	ParameterFormat string // POSITIONAL or NAMED
	Components      []TemplateComponent
	UpdatedAt       time.Time
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
