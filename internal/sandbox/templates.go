package sandbox

import (
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/openwaba/openwaba"
)

// builtinJSON holds the built-in templates in Meta's own format, so that
// what the endpoint serves is what Meta would.
//
//go:embed builtin_templates.json
var builtinJSON []byte

// Paging of the message_templates endpoint.
const (
	defaultTemplateLimit = 25
	maxTemplateLimit     = 1000
)

// wireTemplate is a template as Meta's message_templates endpoint has it.
type wireTemplate struct {
	ID              string                       `json:"id"`
	Name            string                       `json:"name"`
	Language        string                       `json:"language"`
	Status          string                       `json:"status"`
	Category        string                       `json:"category"`
	ParameterFormat string                       `json:"parameter_format"`
	Components      []openwaba.TemplateComponent `json:"components"`
	QualityScore    *qualityScore                `json:"quality_score,omitempty"`
}

// qualityScore is a template's quality_score field, as Meta's template
// list gives it.
type qualityScore struct {
	Score string `json:"score"`
}

func builtinTemplates() []openwaba.Template {
	var ws []wireTemplate
	if err := json.Unmarshal(builtinJSON, &ws); err != nil {
		panic("sandbox: builtin_templates.json: " + err.Error())
	}
	ts := make([]openwaba.Template, len(ws))
	for i, w := range ws {
		ts[i] = openwaba.Template{
			ID: w.ID, Name: w.Name, Language: w.Language, Status: w.Status,
			Category: w.Category, ParameterFormat: w.ParameterFormat, Components: w.Components,
		}
	}
	return ts
}

func toWire(t openwaba.Template) wireTemplate {
	w := wireTemplate{
		ID: t.ID, Name: t.Name, Language: t.Language, Status: t.Status,
		Category: t.Category, ParameterFormat: t.ParameterFormat, Components: t.Components,
	}
	if t.Quality != "" {
		w.QualityScore = &qualityScore{Score: t.Quality}
	}
	return w
}

// Templates returns the templates the sandbox serves (for every WABA).
func (s *Sandbox) Templates() []openwaba.Template {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneTemplates(s.templates)
}

// AddTemplate adds t, or replaces the template of the same name and
// language. Without ID it gets a new one. Tests use it for paging, named
// parameters and templates that are not approved.
func (s *Sandbox) AddTemplate(t openwaba.Template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t = cloneTemplates([]openwaba.Template{t})[0]
	if t.ParameterFormat == "" {
		t.ParameterFormat = "POSITIONAL"
	}
	for i, old := range s.templates {
		if old.Name == t.Name && old.Language == t.Language {
			if t.ID == "" {
				t.ID = old.ID
			}
			s.templates[i] = t
			return
		}
	}
	if t.ID == "" {
		t.ID = strconv.Itoa(2000000000000000 + len(s.templates))
	}
	s.templates = append(s.templates, t)
}

// template finds a template by name and exact language code.
func (s *Sandbox) template(name, language string) (openwaba.Template, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.templates {
		if t.Name == name && t.Language == language {
			return t, true
		}
	}
	return openwaba.Template{}, false
}

// cloneTemplates deep-copies templates (components hold slices and maps)
// so callers cannot change the sandbox's state behind its lock.
func cloneTemplates(ts []openwaba.Template) []openwaba.Template {
	b, err := json.Marshal(ts)
	if err != nil {
		panic("sandbox: clone templates: " + err.Error())
	}
	var out []openwaba.Template
	if err := json.Unmarshal(b, &out); err != nil {
		panic("sandbox: clone templates: " + err.Error())
	}
	return out
}

// handleTemplates serves GET /{version}/{waba-id}/message_templates with
// Meta's cursor paging (limit, after) and the name and fields parameters.
func (s *Sandbox) handleTemplates(w http.ResponseWriter, r *http.Request) {
	if e := s.checkRequest(w, r); e != nil {
		e.write(w)
		return
	}
	waba := r.PathValue("node")
	if !s.knownWABA(r.Context(), waba) {
		unknownNode("get", waba).write(w)
		return
	}
	q := r.URL.Query()
	limit := defaultTemplateLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			newError(100, "limit: %q is not a positive number.", v).write(w)
			return
		}
		limit = min(n, maxTemplateLimit)
	}
	offset := 0
	if v := q.Get("after"); v != "" {
		n, ok := decodeCursor(v)
		if !ok {
			newError(100, "after: %q is not a valid cursor.", v).write(w)
			return
		}
		offset = n
	}

	var all []openwaba.Template
	for _, t := range s.Templates() {
		if name := q.Get("name"); name == "" || t.Name == name {
			all = append(all, t)
		}
	}
	offset = min(offset, len(all))
	end := min(offset+limit, len(all))
	page := all[offset:end]

	data := make([]map[string]any, len(page))
	for i, t := range page {
		data[i] = selectFields(toWire(t), q.Get("fields"))
	}
	resp := map[string]any{"data": data}
	if len(page) > 0 {
		paging := map[string]any{"cursors": map[string]string{
			"before": encodeCursor(offset),
			"after":  encodeCursor(end),
		}}
		if end < len(all) {
			q.Set("after", encodeCursor(end))
			paging["next"] = absoluteURL(r, q)
		}
		resp["paging"] = paging
	}
	writeJSON(w, http.StatusOK, resp)
}

// selectFields keeps the requested fields (and id, which Graph always
// returns); all of them when none are requested.
func selectFields(t wireTemplate, fields string) map[string]any {
	b, _ := json.Marshal(t)
	var m map[string]any
	json.Unmarshal(b, &m)
	if fields == "" {
		return m
	}
	keep := map[string]bool{"id": true}
	for f := range strings.SplitSeq(fields, ",") {
		keep[strings.TrimSpace(f)] = true
	}
	for k := range m {
		if !keep[k] {
			delete(m, k)
		}
	}
	return m
}

// Cursors are opaque to clients, as Meta's are; inside they are offsets.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil && n >= 0
}

// absoluteURL builds the URL of this request with query q, on the host
// the client used (Meta's paging.next is absolute).
func absoluteURL(r *http.Request, q url.Values) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return fmt.Sprintf("%s://%s%s?%s", scheme, r.Host, r.URL.Path, q.Encode())
}
