package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/openwaba/openwaba"
)

// Templates created, edited and deleted through the API are checked
// against Meta's rules (openwaba.TemplateDraft.Check) before anything is
// submitted, then forwarded to Meta's management API, and stored as Meta
// answered (PENDING, until its review's webhook approves or rejects them).

type templateDraftRequest struct {
	Number          flexString                   `json:"number"`
	Name            flexString                   `json:"name"`
	Language        flexString                   `json:"language"`
	Category        flexString                   `json:"category"`
	ParameterFormat flexString                   `json:"parameter_format"`
	Components      []openwaba.TemplateComponent `json:"components"`
}

// draft is the request as Meta's shape, with Meta's upper-case names.
func (req templateDraftRequest) draft() openwaba.TemplateDraft {
	d := openwaba.TemplateDraft{
		Name: strings.TrimSpace(req.Name.Value), Language: strings.TrimSpace(req.Language.Value),
		Category: strings.ToUpper(strings.TrimSpace(req.Category.Value)), ParameterFormat: strings.ToUpper(strings.TrimSpace(req.ParameterFormat.Value)),
		Components: req.Components,
	}
	for i := range d.Components {
		c := &d.Components[i]
		c.Type, c.Format = strings.ToUpper(c.Type), strings.ToUpper(c.Format)
		for j := range c.Buttons {
			c.Buttons[j].Type = strings.ToUpper(c.Buttons[j].Type)
		}
	}
	return d
}

// templateWABA is the WhatsApp Business Account the request's templates
// belong to: that of number, or the account's only one.
func (s *Server) templateWABA(ctx context.Context, accountID int64, number flexString) (string, error) {
	if strings.TrimSpace(number.Value) != "" {
		n, err := requiredPhone("number", number)
		if err != nil {
			return "", err
		}
		sd, err := s.cfg.Store.Sender(ctx, accountID, n)
		if errors.Is(err, openwaba.ErrNotFound) {
			return "", errInvalidSender
		} else if err != nil {
			return "", fmt.Errorf("looking up sender: %w", err)
		}
		return sd.WABAID, nil
	}
	senders, err := s.cfg.Store.Senders(ctx, accountID)
	if err != nil {
		return "", fmt.Errorf("listing senders: %w", err)
	}
	var wabas []string
	for _, sd := range senders {
		if sd.WABAID != "" && !slices.Contains(wabas, sd.WABAID) {
			wabas = append(wabas, sd.WABAID)
		}
	}
	switch len(wabas) {
	case 0:
		return "", badField("number", "the account has no number of a WhatsApp Business Account")
	case 1:
		return wabas[0], nil
	}
	return "", badField("number", "is required: the account's numbers belong to %d WhatsApp Business Accounts; name one of yours", len(wabas))
}

func (s *Server) writeTemplate(w http.ResponseWriter, t openwaba.Template) {
	writeJSON(w, http.StatusOK, struct {
		Success  bool         `json:"success"`
		Template TemplateView `json:"template"`
	}{true, TemplateViews([]openwaba.Template{t})[0]})
}

// createTemplate answers POST /api/waba/templates: submits a new template
// (or a new language of one) to Meta for review.
func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accountID := principalFrom(ctx).AccountID
	var req templateDraftRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	d := req.draft()
	if err := d.Check(); err != nil {
		s.writeError(w, err, false)
		return
	}
	waba, err := s.templateWABA(ctx, accountID, req.Number)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if old, err := s.cfg.Store.Template(ctx, accountID, d.Name, d.Language); err == nil {
		s.writeError(w, badField("name", "template %s (%s) exists (id %s): edit it with PUT /api/waba/templates/%s", d.Name, d.Language, old.ID, old.ID), false)
		return
	} else if !errors.Is(err, openwaba.ErrNotFound) {
		s.writeError(w, fmt.Errorf("looking up template: %w", err), false)
		return
	}
	t, err := s.cfg.Upstream.CreateTemplate(ctx, waba, d)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	t.AccountID, t.UpdatedAt = accountID, s.now()
	if err := s.cfg.Store.PutTemplate(ctx, t); err != nil {
		s.writeError(w, err, false)
		return
	}
	s.writeTemplate(w, t)
}

// accountTemplate finds the account's template with Meta's id.
func (s *Server) accountTemplate(ctx context.Context, accountID int64, id string) (openwaba.Template, error) {
	ts, err := s.cfg.Store.Templates(ctx, accountID)
	if err != nil {
		return openwaba.Template{}, fmt.Errorf("listing templates: %w", err)
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return openwaba.Template{}, openwaba.ErrNotFound
}

// editTemplate answers PUT /api/waba/templates/{id}: submits new
// components (and category) of a template; name and language stay.
func (s *Server) editTemplate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accountID := principalFrom(ctx).AccountID
	t, err := s.accountTemplate(ctx, accountID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	var req templateDraftRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, err, false)
		return
	}
	if (req.Name.Value != "" && req.Name.Value != t.Name) || (req.Language.Value != "" && req.Language.Value != t.Language) {
		s.writeError(w, badField("name", "and language of a template cannot change; create another"), false)
		return
	}
	req.Name.Value, req.Language.Value = t.Name, t.Language
	if req.Category.Value == "" {
		req.Category.Value = t.Category
	}
	if req.ParameterFormat.Value == "" {
		req.ParameterFormat.Value = t.ParameterFormat
	}
	d := req.draft()
	if err := d.Check(); err != nil {
		s.writeError(w, err, false)
		return
	}
	if !t.Editable() {
		s.writeError(w, badField("template", "%s (%s) is %s: WhatsApp edits only APPROVED, REJECTED and PAUSED templates", t.Name, t.Language, t.Status), false)
		return
	}
	if err := s.cfg.Upstream.EditTemplate(ctx, t.ID, d); err != nil {
		s.writeError(w, err, false)
		return
	}
	edited := d.Template(accountID, t.ID, "PENDING", "")
	edited.UpdatedAt = s.now()
	if err := s.cfg.Store.PutTemplate(ctx, edited); err != nil {
		s.writeError(w, err, false)
		return
	}
	s.writeTemplate(w, edited)
}

// deleteTemplate answers DELETE /api/waba/templates?name=[&language=]:
// deletes the template at Meta, in one language or in all, and then here.
func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accountID := principalFrom(ctx).AccountID
	q := r.URL.Query()
	name, lang := strings.TrimSpace(q.Get("name")), strings.TrimSpace(q.Get("language"))
	if name == "" {
		s.writeError(w, badField("name", "is required"), false)
		return
	}
	ts, err := s.cfg.Store.Templates(ctx, accountID)
	if err != nil {
		s.writeError(w, fmt.Errorf("listing templates: %w", err), false)
		return
	}
	var id string
	found := slices.ContainsFunc(ts, func(t openwaba.Template) bool {
		if t.Name == name && (lang == "" || t.Language == lang) {
			if lang != "" {
				id = t.ID
			}
			return true
		}
		return false
	})
	if !found {
		s.writeError(w, openwaba.ErrNotFound, false)
		return
	}
	waba, err := s.templateWABA(ctx, accountID, flexString{Value: q.Get("number"), Set: q.Has("number")})
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if err := s.cfg.Upstream.DeleteTemplate(ctx, waba, name, id); err != nil {
		s.writeError(w, err, false)
		return
	}
	n, err := s.cfg.Store.DeleteTemplates(ctx, accountID, name, lang)
	if err != nil && !errors.Is(err, openwaba.ErrNotFound) {
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool `json:"success"`
		Deleted int  `json:"deleted"`
	}{true, n})
}
