package api

import (
	"net/http"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/templates"
)

// TemplateView is a template as the API and the CLI show it: Meta's fields,
// plus the placeholders a send must supply for each component.
type TemplateView struct {
	ID              string                       `json:"id"`
	Name            string                       `json:"name"`
	Language        string                       `json:"language"`
	Category        string                       `json:"category"`
	Status          string                       `json:"status"`
	ParameterFormat string                       `json:"parameter_format"`
	Components      []openwaba.TemplateComponent `json:"components"`
	Placeholders    TemplatePlaceholders         `json:"placeholders"`
	Updated         string                       `json:"updated"`
	Quality         *string                      `json:"quality"`  // Meta's quality score: GREEN, YELLOW, RED, UNKNOWN
	Reason          *string                      `json:"reason"`   // Meta's reason for the last status change
	Sendable        bool                         `json:"sendable"` // APPROVED or FLAGGED: messages are accepted
}

// TemplatePlaceholders names the placeholders of each component, in the
// order positional values fill them.
type TemplatePlaceholders struct {
	Header  []string   `json:"header"`
	Body    []string   `json:"body"`
	Buttons [][]string `json:"buttons"` // per button, in template order
}

// TemplateViews converts templates for display.
func TemplateViews(ts []openwaba.Template) []TemplateView {
	out := make([]TemplateView, 0, len(ts))
	for _, t := range ts {
		v := TemplateView{
			ID: t.ID, Name: t.Name, Language: t.Language, Category: t.Category, Status: t.Status,
			ParameterFormat: t.ParameterFormat, Components: t.Components, Updated: timeString(t.UpdatedAt),
			Placeholders: TemplatePlaceholders{Header: []string{}, Body: []string{}, Buttons: [][]string{}},
			Quality:      nullable(t.Quality), Reason: nullable(t.Reason), Sendable: t.Sendable(),
		}
		if v.ParameterFormat == "" {
			v.ParameterFormat = "POSITIONAL"
		}
		if v.Components == nil {
			v.Components = []openwaba.TemplateComponent{}
		}
		if h, ok := t.Component("HEADER"); ok {
			v.Placeholders.Header = nonNil(templates.Placeholders(h.Text))
		}
		if b, ok := t.Component("BODY"); ok {
			v.Placeholders.Body = nonNil(templates.Placeholders(b.Text))
		}
		if bs, ok := t.Component("BUTTONS"); ok {
			for _, b := range bs.Buttons {
				v.Placeholders.Buttons = append(v.Placeholders.Buttons, nonNil(templates.Placeholders(b.URL)))
			}
		}
		out = append(out, v)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// listTemplates answers GET /api/waba/templates: the account's templates,
// optionally only those with a name, language or status.
func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	ts, err := s.cfg.Store.Templates(r.Context(), p.AccountID)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	q := r.URL.Query()
	var kept []openwaba.Template
	for _, t := range ts {
		if match(q.Get("name"), t.Name) && match(q.Get("language"), t.Language) && match(q.Get("status"), t.Status) {
			kept = append(kept, t)
		}
	}
	writeJSON(w, http.StatusOK, TemplatesAnswer(kept))
}

// match reports whether a filter (empty: any) matches v exactly.
func match(filter, v string) bool { return filter == "" || filter == v }
