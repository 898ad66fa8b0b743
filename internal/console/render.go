package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string // the menu entry to mark
	User    *user
	CSRF    string
	Problem string // a refusal, in the API's words
	Notice  string // what the last action did
	Live    bool   // the page refreshes its [data-live] parts
	Data    any
}

// pageNames are the templates under templates/, each with layout.html.
var pageNames = []string{"signin", "error", "overview", "messages", "message", "conversations", "conversation", "templates", "webhooks", "admin", "account"}

type pages map[string]*template.Template

var funcs = template.FuncMap{
	"lower": strings.ToLower,
	// deref shows an optional field of the API's answers ("" for null).
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"join": strings.Join,
	"mul":  func(a, b int) int { return a * b },
	"list": func(s ...string) []string { return s },
}

func parsePages() (pages, error) {
	ps := pages{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		ps[name] = t
	}
	return ps, nil
}

// render writes a page; it is rendered into a buffer first, so that a
// template error is a clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.User != nil && v.CSRF == "" {
		v.CSRF = v.User.CSRF
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console page", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) renderError(w http.ResponseWriter, r *http.Request, u *user, status int, msg string) {
	c.render(w, r, status, "error", &view{Title: http.StatusText(status), User: u, Problem: msg})
}

// refused shows an error of the API (or of reading its answer) on a page
// of its own: the API's status for its refusals, 500 otherwise.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, u *user, err error) {
	if ae, ok := err.(*apiError); ok {
		c.renderError(w, r, u, ae.Status, ae.Message)
		return
	}
	c.log.Error("console", "path", r.URL.Path, "err", err)
	c.renderError(w, r, u, http.StatusInternalServerError, "The gateway could not carry this out; try again.")
}

// requireScope answers 403 for a page the key's scopes do not cover; the
// menu does not show it either.
func (c *Console) requireScope(w http.ResponseWriter, r *http.Request, u *user, scope string) bool {
	if u.Can(scope) {
		return true
	}
	c.renderError(w, r, u, http.StatusForbidden, fmt.Sprintf("This page needs a key with the %s scope.", scope))
	return false
}

// done is the notice a redirect after a successful form names (?done=):
// fixed texts, so that no link can put words on the page.
var done = map[string]string{
	"cancelled": "The message was cancelled and refunded.",
	"sent":      "The message was accepted.",
	"event":     "Sent to WhatsApp.",
	"inbound":   "The sandbox's user wrote to you.",
	"synced":    "Templates fetched from Meta.",
	"hook":      "The webhook was created.",
	"unhooked":  "The webhook was deleted.",
	"replayed":  "The delivery was queued again.",
	"topup":     "The balance was booked.",
	"revoked":   "The key was revoked.",
}

func notice(r *http.Request) string { return done[r.URL.Query().Get("done")] }
