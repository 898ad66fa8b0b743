package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// Meta's template management API, as far as the gateway uses it: create
// (POST /{waba-id}/message_templates), edit (POST /{template-id}) and
// delete (DELETE /{waba-id}/message_templates?name=[&hsm_id=]). A created
// or edited template is PENDING; the sandbox reviews it after its status
// delay and reports the outcome with message_template_status_update, as
// Meta does: APPROVED, or REJECTED (INVALID_FORMAT) for a template whose
// name starts with RejectPrefix, so that tests can have both. A review can
// also be decided on request (ChangeTemplate).

// RejectPrefix starts the names of templates the sandbox's review rejects.
const RejectPrefix = "reject_"

var sandboxTemplateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

type inDraft struct {
	Name            string                       `json:"name"`
	Language        string                       `json:"language"`
	Category        string                       `json:"category"`
	ParameterFormat string                       `json:"parameter_format"`
	Components      []openwaba.TemplateComponent `json:"components"`
}

func (s *Sandbox) readDraft(w http.ResponseWriter, r *http.Request) (inDraft, *apiError) {
	var d inDraft
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return d, newError(100, "request body: %v", err)
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return d, newError(100, "Invalid JSON in the request body: %v", err)
	}
	for i := range d.Components {
		d.Components[i].Type = strings.ToUpper(d.Components[i].Type)
	}
	if d.Category != "" && !slices.Contains([]string{"MARKETING", "UTILITY", "AUTHENTICATION"}, d.Category) {
		return d, invalid("category", "must be MARKETING, UTILITY or AUTHENTICATION, got %q", d.Category)
	}
	if !slices.ContainsFunc(d.Components, func(c openwaba.TemplateComponent) bool { return c.Type == "BODY" }) {
		return d, invalid("components", "a BODY component is required")
	}
	return d, nil
}

// handleCreateTemplate serves POST /{version}/{waba-id}/message_templates.
func (s *Sandbox) handleCreateTemplate(w http.ResponseWriter, r *http.Request) {
	if e := s.checkRequest(w, r); e != nil {
		e.write(w)
		return
	}
	waba := r.PathValue("node")
	if !s.knownWABA(r.Context(), waba) {
		unknownNode("post", waba).write(w)
		return
	}
	d, e := s.readDraft(w, r)
	switch {
	case e != nil:
	case !sandboxTemplateName.MatchString(d.Name):
		e = invalid("name", "must be lowercase letters, digits and underscores, at most 512, got %q", d.Name)
	case d.Language == "":
		e = missing("language")
	case d.Category == "":
		e = missing("category")
	}
	if e != nil {
		e.write(w)
		return
	}
	if _, ok := s.template(d.Name, d.Language); ok {
		(&apiError{Code: 100, Subcode: 2388024, Details: "Content in this language already exists: " + d.Name + " (" + d.Language + ")"}).write(w)
		return
	}
	t := openwaba.TemplateDraft{Name: d.Name, Language: d.Language, Category: d.Category, ParameterFormat: d.ParameterFormat, Components: d.Components}.
		Template(0, s.newTemplateID(), "PENDING", "")
	s.AddTemplate(t)
	writeJSON(w, http.StatusOK, map[string]string{"id": t.ID, "status": t.Status, "category": t.Category})
	s.review(waba, t)
}

// handleEditTemplate serves POST /{version}/{template-id}.
func (s *Sandbox) handleEditTemplate(w http.ResponseWriter, r *http.Request) {
	if e := s.checkRequest(w, r); e != nil {
		e.write(w)
		return
	}
	id := r.PathValue("node")
	t, ok := s.templateByID(id)
	if !ok {
		unknownNode("post", id).write(w)
		return
	}
	d, e := s.readDraft(w, r)
	if e != nil {
		e.write(w)
		return
	}
	t.Components, t.Status = d.Components, "PENDING"
	if d.Category != "" {
		t.Category = d.Category
	}
	s.AddTemplate(t)
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	// The sandbox's templates are every WABA's; the review is reported to
	// the WABA of the number with the lowest phone number id.
	s.mu.Lock()
	var first number
	for _, n := range s.numbers {
		if first.PhoneNumberID == "" || n.PhoneNumberID < first.PhoneNumberID {
			first = n
		}
	}
	s.mu.Unlock()
	s.review(first.WABAID, t)
}

// handleDeleteTemplate serves DELETE /{version}/{waba-id}/message_templates.
func (s *Sandbox) handleDeleteTemplate(w http.ResponseWriter, r *http.Request) {
	if e := s.checkRequest(w, r); e != nil {
		e.write(w)
		return
	}
	waba := r.PathValue("node")
	if !s.knownWABA(r.Context(), waba) {
		unknownNode("delete", waba).write(w)
		return
	}
	name, id := r.URL.Query().Get("name"), r.URL.Query().Get("hsm_id")
	if name == "" {
		missing("name").write(w)
		return
	}
	s.mu.Lock()
	before := len(s.templates)
	s.templates = slices.DeleteFunc(s.templates, func(t openwaba.Template) bool {
		return t.Name == name && (id == "" || t.ID == id)
	})
	deleted := before - len(s.templates)
	s.mu.Unlock()
	if deleted == 0 {
		(&apiError{Code: 100, Subcode: 2593002, Details: "Message template not found: " + name}).write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Sandbox) templateByID(id string) (openwaba.Template, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.templates {
		if t.ID == id {
			return cloneTemplates([]openwaba.Template{t})[0], true
		}
	}
	return openwaba.Template{}, false
}

func (s *Sandbox) newTemplateID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := int64(3000000000000000)
	for _, t := range s.templates {
		if n, err := strconv.ParseInt(t.ID, 10, 64); err == nil && n >= next {
			next = n + 1
		}
	}
	return strconv.FormatInt(next, 10)
}

// minReview is the least time the sandbox's review takes. Meta's takes
// minutes or more; the gateway stores the template Meta's answer names
// only after that answer, and a review reported before the row exists
// finds no template to apply to (see the closing note of stop 13).
const minReview = time.Second

// review decides a PENDING template after the status delay (at least
// minReview) and reports it.
func (s *Sandbox) review(waba string, t openwaba.Template) {
	if s.cfg.WebhookURL == "" {
		return
	}
	s.spawn(func() {
		if !s.sleep(max(s.cfg.StatusDelay, minReview)) {
			return
		}
		cur, ok := s.templateByID(t.ID)
		if !ok || cur.Status != "PENDING" {
			return // deleted, or decided on request meanwhile
		}
		c := TemplateChange{Status: "APPROVED"}
		if strings.HasPrefix(t.Name, RejectPrefix) {
			c = TemplateChange{Status: "REJECTED", Reason: "INVALID_FORMAT"}
		}
		num, ok := s.numberOfWABA(waba)
		if !ok {
			return
		}
		if err := s.ChangeTemplate(s.ctx, num.Display, t.Name, t.Language, c); err != nil && s.ctx.Err() == nil {
			s.log.Warn("reporting a template review failed", "template", t.Name, "err", err)
		}
	})
}

func (s *Sandbox) numberOfWABA(waba string) (number, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.numbers {
		if n.WABAID == waba {
			return n, true
		}
	}
	return number{}, false
}
