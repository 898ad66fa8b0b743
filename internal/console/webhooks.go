package console

import (
	"net/http"
	"net/url"
	"strconv"
)

type hookView struct {
	ID            string `json:"id"`
	TargetURL     string `json:"target_url"`
	EventType     string `json:"event_type"`
	EventFilter   string `json:"event_filter"`
	RequestMethod string `json:"request_method"`
	Created       string `json:"created"`
	// Pending and Dead come from the outbox, not from the API.
	Pending, Dead int
	OldestPending string
	HeldUntil     string // its receiver failing, this node holds its webhooks back until then
}

type deliveryView struct {
	ID        string `json:"id"`
	HookID    string `json:"hook_id"`
	TargetURL string `json:"target_url"`
	Event     string `json:"event"`
	MessageID *int64 `json:"msg_id"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
	Created   string `json:"created"`
}

type webhooksData struct {
	Hooks  []hookView
	Dead   []deliveryView
	Events []string
	Form   url.Values // the create form as typed, after a refusal
}

var hookEvents = []string{"all", "dlr", "wa_status", "wa_mo", "tracking", "number_quality", "template_status"}

func (c *Console) webhooks(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "hooks") {
		return
	}
	c.showWebhooks(w, r, u, http.StatusOK, "", nil)
}

func (c *Console) showWebhooks(w http.ResponseWriter, r *http.Request, u *user, status int, problem string, form url.Values) {
	var hooks struct {
		Hooks []hookView `json:"hooks"`
	}
	if err := c.call(r, u, "GET", "/api/hooks", nil).decode(&hooks); err != nil {
		c.refused(w, r, u, err)
		return
	}
	var dead struct {
		Deliveries []deliveryView `json:"deliveries"`
	}
	if err := c.call(r, u, "GET", "/api/hooks/dead", nil).decode(&dead); err != nil {
		c.refused(w, r, u, err)
		return
	}
	// The outbox's sizes per hook are in the queue's answer, which needs
	// the waba scope too.
	if u.Can("waba") {
		var q queueView
		if err := c.call(r, u, "GET", "/api/waba/queue", nil).decode(&q); err != nil {
			c.refused(w, r, u, err)
			return
		}
		for i, h := range hooks.Hooks {
			for _, hq := range q.Hooks {
				if strconv.FormatInt(hq.HookID, 10) == h.ID {
					hooks.Hooks[i].Pending, hooks.Hooks[i].Dead = hq.Pending, hq.Dead
					if hq.OldestPending != nil {
						hooks.Hooks[i].OldestPending = *hq.OldestPending
					}
					if hq.HeldUntil != nil {
						hooks.Hooks[i].HeldUntil = *hq.HeldUntil
					}
				}
			}
		}
	}
	if form == nil {
		form = url.Values{"request_method": {"JSON"}, "event_type": {"all"}}
	}
	c.render(w, r, status, "webhooks", &view{Title: "Webhooks", Nav: "webhooks", User: u, Live: true, Notice: notice(r), Problem: problem,
		Data: webhooksData{Hooks: hooks.Hooks, Dead: dead.Deliveries, Events: hookEvents, Form: form}})
}

func (c *Console) createHook(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "hooks") {
		return
	}
	form := url.Values{}
	for _, f := range []string{"target_url", "event_type", "request_method", "event_filter", "headers"} {
		if v := r.PostForm.Get(f); v != "" {
			form.Set(f, v)
		}
	}
	var res struct {
		Success bool `json:"success"`
	}
	a := c.call(r, u, "POST", "/api/hooks", form)
	if err := a.decode(&res); err != nil {
		if ae, ok := err.(*apiError); ok {
			c.showWebhooks(w, r, u, ae.Status, ae.Message, form)
			return
		}
		c.refused(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/console/webhooks?done=hook", http.StatusSeeOther)
}

func (c *Console) deleteHook(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "hooks") {
		return
	}
	var res struct {
		Success bool `json:"success"`
	}
	if err := c.call(r, u, "DELETE", "/api/hooks?"+url.Values{"id": {r.PathValue("id")}}.Encode(), nil).decode(&res); err != nil {
		c.refused(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/console/webhooks?done=unhooked", http.StatusSeeOther)
}

func (c *Console) replay(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "hooks") {
		return
	}
	var res struct {
		Success bool `json:"success"`
	}
	if err := c.call(r, u, "POST", "/api/hooks/dead/"+url.PathEscape(r.PathValue("id"))+"/replay", nil).decode(&res); err != nil {
		c.refused(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/console/webhooks?done=replayed", http.StatusSeeOther)
}
