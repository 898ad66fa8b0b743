package console

import (
	"net/http"
)

// templateView is a template as GET /api/waba/templates answers it.
type templateView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Language   string `json:"language"`
	Category   string `json:"category"`
	Status     string `json:"status"`
	Components []struct {
		Type    string `json:"type"`
		Format  string `json:"format"`
		Text    string `json:"text"`
		Buttons []struct {
			Type string `json:"type"`
			Text string `json:"text"`
			URL  string `json:"url"`
		} `json:"buttons"`
	} `json:"components"`
	Placeholders struct {
		Header  []string   `json:"header"`
		Body    []string   `json:"body"`
		Buttons [][]string `json:"buttons"`
	} `json:"placeholders"`
	Updated  string  `json:"updated"`
	Quality  *string `json:"quality"`
	Reason   *string `json:"reason"`
	Sendable bool    `json:"sendable"`
}

// Key names the template in the composer's choice: name and language.
func (t templateView) Key() string { return t.Name + ":" + t.Language }

func (c *Console) listTemplates(r *http.Request, u *user) ([]templateView, error) {
	var ts struct {
		Templates []templateView `json:"templates"`
	}
	err := c.call(r, u, "GET", "/api/waba/templates", nil).decode(&ts)
	return ts.Templates, err
}

type templatesData struct {
	Templates []templateView
	CanSync   bool
}

func (c *Console) templates(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	ts, err := c.listTemplates(r, u)
	if err != nil {
		c.refused(w, r, u, err)
		return
	}
	c.render(w, r, http.StatusOK, "templates", &view{Title: "Templates", Nav: "templates", User: u, Notice: notice(r),
		Data: templatesData{Templates: ts, CanSync: c.cfg.SyncTemplates != nil}})
}

// syncTemplates fetches every account's templates from Meta now: the
// same sync the gateway runs on its interval.
func (c *Console) syncTemplates(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	if c.cfg.SyncTemplates == nil {
		c.renderError(w, r, u, http.StatusNotFound, "This gateway does not sync templates.")
		return
	}
	if err := c.cfg.SyncTemplates(r.Context()); err != nil {
		c.log.Warn("console template sync", "err", err)
		c.renderError(w, r, u, http.StatusBadGateway, "Meta did not answer the template sync; the templates are as they were. Try again later.")
		return
	}
	http.Redirect(w, r, "/console/templates?done=synced", http.StatusSeeOther)
}
