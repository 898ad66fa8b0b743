package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

type conversationRef struct {
	Sender, User, Last, Status string
}

type conversationsData struct {
	Conversations []conversationRef
	Senders       []senderView
}

// conversations lists the users of the account's newest messages, either
// way, and opens a conversation by number.
func (c *Console) conversations(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	q := r.URL.Query()
	if s, usr := strings.TrimSpace(q.Get("sender")), strings.TrimSpace(q.Get("user")); s != "" && usr != "" {
		http.Redirect(w, r, "/console/conversations/"+url.PathEscape(s)+"/"+url.PathEscape(usr), http.StatusSeeOther)
		return
	}
	var d conversationsData
	if err := c.call(r, u, "GET", "/api/waba/senders", nil).decode(&d.Senders); err != nil {
		c.refused(w, r, u, err)
		return
	}
	var page struct {
		Messages []messageView `json:"messages"`
	}
	if err := c.call(r, u, "GET", "/api/waba/messages?limit=500", nil).decode(&page); err != nil {
		c.refused(w, r, u, err)
		return
	}
	latest := map[[2]string]int{} // (our number, user) → index in d.Conversations
	add := func(sender, usr, at, what string) {
		k := [2]string{sender, usr}
		if i, ok := latest[k]; ok {
			if at > d.Conversations[i].Last { // both RFC 3339 in UTC: ordered as text
				d.Conversations[i].Last, d.Conversations[i].Status = at, what
			}
			return
		}
		latest[k] = len(d.Conversations)
		d.Conversations = append(d.Conversations, conversationRef{Sender: sender, User: usr, Last: at, Status: what})
	}
	for _, m := range page.Messages {
		add(m.Sender, m.Recipient, m.Created, m.Status)
	}
	// And what users wrote.
	var in struct {
		Messages []inboundView `json:"messages"`
	}
	if err := c.call(r, u, "GET", "/api/waba/inbound?limit=200", nil).decode(&in); err != nil {
		c.refused(w, r, u, err)
		return
	}
	for _, m := range in.Messages {
		at, _ := time.ParseInLocation(time.DateTime, m.Time, time.UTC)
		add(m.Recipient, m.Sender, at.Format(time.RFC3339), "wrote")
	}
	slices.SortStableFunc(d.Conversations, func(a, b conversationRef) int { return strings.Compare(b.Last, a.Last) })
	c.render(w, r, http.StatusOK, "conversations", &view{Title: "Conversations", Nav: "conversations", User: u, Data: d})
}

// entry is one message of a thread, either way.
type entry struct {
	Inbound bool
	At      time.Time
	ID      string
	Content shown
	Status  string
	Name    string
}

type conversationData struct {
	Sender, User string
	Entries      []entry
	WindowOpen   bool
	WindowUntil  string
	Older        string // the link to the page before
	Templates    []templateView
	Chosen       *templateView
	Form         url.Values
	Sandbox      bool
}

func (c *Console) conversation(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	c.showConversation(w, r, u, http.StatusOK, "", url.Values{"template": {r.URL.Query().Get("template")}})
}

func (c *Console) showConversation(w http.ResponseWriter, r *http.Request, u *user, status int, problem string, form url.Values) {
	sender, usr := r.PathValue("sender"), r.PathValue("user")
	if _, err := c.cfg.Store.Sender(r.Context(), u.Account.ID, sender); err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			c.renderError(w, r, u, http.StatusNotFound, "No such sender number in this account.")
			return
		}
		c.refused(w, r, u, err)
		return
	}
	d := conversationData{Sender: sender, User: usr, Form: form, Sandbox: c.cfg.Sandbox}
	p, err := c.thread(r, u, sender, usr, r.URL.Query().Get("before"))
	if err != nil {
		c.refused(w, r, u, err)
		return
	}
	d.Entries, d.WindowOpen, d.WindowUntil = p.Entries, p.WindowOpen, p.WindowUntil
	if p.Older != "" {
		d.Older = "?" + url.Values{"before": {p.Older}}.Encode()
	}
	if d.Templates, err = c.listTemplates(r, u); err != nil {
		c.refused(w, r, u, err)
		return
	}
	if k := form.Get("template"); k != "" {
		if i := slices.IndexFunc(d.Templates, func(t templateView) bool { return t.Key() == k }); i >= 0 {
			d.Chosen = &d.Templates[i]
		}
	}
	c.render(w, r, status, "conversation", &view{Title: "Conversation with " + usr, Nav: "conversations", User: u, Live: true,
		Notice: notice(r), Problem: problem, Data: d})
}

// conversationAnswer is GET /api/waba/conversations/{user}?sender=: a
// page of the thread, oldest first, with the window's state.
type conversationAnswer struct {
	Username        *string `json:"username"`
	WindowOpen      bool    `json:"window_open"`
	WindowOpenUntil *string `json:"window_open_until"`
	Messages        []struct {
		Direction string       `json:"direction"`
		Inbound   *inboundView `json:"inbound"`
		Outbound  *messageView `json:"outbound"`
	} `json:"messages"`
	Next *string `json:"next"`
}

// inboundView is an inbound message as the API (and the wa_mo webhook)
// shows it.
type inboundView struct {
	ID          string `json:"id"`
	Sender      string `json:"sender"`    // the user
	Recipient   string `json:"recipient"` // our number
	Type        string `json:"type"`
	Text        string `json:"text"`
	ProfileName string `json:"profile_name"`
	Time        string `json:"time"`
}

// threadPage is one page of a conversation.
type threadPage struct {
	Entries     []entry
	WindowOpen  bool
	WindowUntil string
	Older       string // the "before" of the page before, if any
}

// thread reads a page of the conversation between sender and user from
// the API, both ways, oldest first.
func (c *Console) thread(r *http.Request, u *user, sender, usr, before string) (threadPage, error) {
	q := url.Values{"sender": {sender}, "limit": {"50"}}
	if before != "" {
		q.Set("before", before)
	}
	var ans conversationAnswer
	if err := c.call(r, u, "GET", "/api/waba/conversations/"+url.PathEscape(usr)+"?"+q.Encode(), nil).decode(&ans); err != nil {
		return threadPage{}, err
	}
	p := threadPage{WindowOpen: ans.WindowOpen}
	if ans.WindowOpen && ans.WindowOpenUntil != nil {
		p.WindowUntil = *ans.WindowOpenUntil
	}
	if ans.Next != nil {
		p.Older = *ans.Next
	}
	for _, m := range ans.Messages {
		switch {
		case m.Inbound != nil:
			at, _ := time.ParseInLocation(time.DateTime, m.Inbound.Time, time.UTC)
			text := m.Inbound.Text
			if text == "" {
				text = "[" + m.Inbound.Type + "]"
			}
			p.Entries = append(p.Entries, entry{Inbound: true, At: at, ID: m.Inbound.ID, Content: shown{Body: text}, Name: m.Inbound.ProfileName})
		case m.Outbound != nil:
			at, _ := time.Parse(time.RFC3339, m.Outbound.Created)
			p.Entries = append(p.Entries, entry{At: at, ID: m.Outbound.ID, Content: m.Outbound.Content(), Status: m.Outbound.Status})
		}
	}
	return p, nil
}

// sendFromComposer sends a text or a template through POST
// /api/waba/messages: the API checks the window, the template and its
// placeholders, the balance.
func (c *Console) sendFromComposer(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	sender, usr := r.PathValue("sender"), r.PathValue("user")
	p := r.PostForm
	form := url.Values{"from": {sender}, "to": {usr}}
	if p.Get("kind") == "template" {
		name, lang, _ := strings.Cut(p.Get("template"), ":")
		form.Set("type", "template")
		form.Set("template", name)
		form.Set("language", lang)
		for _, part := range []string{"header", "body"} {
			for i := 0; p.Has(part + "." + strconv.Itoa(i)); i++ {
				form.Set("components["+part+"]["+strconv.Itoa(i)+"]", p.Get(part+"."+strconv.Itoa(i)))
			}
		}
		for i := 0; i < 10; i++ {
			v := p.Get("button." + strconv.Itoa(i))
			if !p.Has("button." + strconv.Itoa(i)) {
				continue
			}
			b := "components[buttons][" + strconv.Itoa(i) + "]"
			form.Set(b+"[type]", "button")
			form.Set(b+"[sub_type]", "url")
			form.Set(b+"[index]", strconv.Itoa(i))
			form.Set(b+"[parameters][0][text]", v)
		}
	} else {
		form.Set("text", p.Get("text"))
	}
	if v := strings.TrimSpace(p.Get("delay")); v != "" {
		form.Set("delay", v) // the API reads it (in the account's time zone)
	}
	if v := strings.TrimSpace(p.Get("label")); v != "" {
		form.Set("label", v)
	}
	var res struct {
		Success string `json:"success"`
	}
	a := c.call(r, u, "POST", "/api/waba/messages", form)
	err := a.decode(&res)
	if err == nil && res.Success != "100" {
		err = &apiError{Status: http.StatusBadRequest, Message: a.message()}
	}
	if err != nil {
		if ae, ok := err.(*apiError); ok {
			c.showConversation(w, r, u, ae.Status, ae.Message, p)
			return
		}
		c.refused(w, r, u, err)
		return
	}
	http.Redirect(w, r, r.URL.Path[:len(r.URL.Path)-len("/send")]+"?done=sent", http.StatusSeeOther)
}

// sandboxInbound plays the user writing (sandbox only), through POST
// /api/sandbox/inbound.
func (c *Console) sandboxInbound(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	form := url.Values{"from": {r.PathValue("user")}, "to": {r.PathValue("sender")}, "text": {r.PostForm.Get("text")}}
	var res struct {
		Success bool `json:"success"`
	}
	if err := c.call(r, u, "POST", "/api/sandbox/inbound", form).decode(&res); err != nil {
		if ae, ok := err.(*apiError); ok {
			c.showConversation(w, r, u, ae.Status, ae.Message, url.Values{})
			return
		}
		c.refused(w, r, u, err)
		return
	}
	http.Redirect(w, r, strings.TrimSuffix(r.URL.Path, "/inbound")+"?done=inbound", http.StatusSeeOther)
}

// sendEvent sends read, is_typing or a reaction through POST
// /api/waba/events; back to the page the form was on.
func (c *Console) sendEvent(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	p := r.PostForm
	form := url.Values{"event": {p.Get("event")}}
	back := "/console/conversations/" + url.PathEscape(p.Get("from")) + "/" + url.PathEscape(p.Get("to"))
	if id := p.Get("msg_id"); id != "" {
		form.Set("msg_id", id)
		form.Set("emoji", p.Get("emoji"))
		back = "/console/messages/" + url.PathEscape(id)
	} else {
		form.Set("from", p.Get("from"))
		form.Set("to", p.Get("to"))
	}
	var res struct {
		Success bool `json:"success"`
	}
	a := c.call(r, u, "POST", "/api/waba/events", form)
	err := a.decode(&res)
	if err == nil && !res.Success {
		err = &apiError{Status: http.StatusBadRequest, Message: a.message()}
	}
	if err != nil {
		c.refused(w, r, u, err)
		return
	}
	http.Redirect(w, r, back+"?done=event", http.StatusSeeOther)
}
