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

// conversations lists the users the account's newest messages went to,
// and opens a conversation by number.
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
	seen := map[[2]string]bool{}
	for _, m := range page.Messages {
		k := [2]string{m.Sender, m.Recipient}
		if seen[k] {
			continue
		}
		seen[k] = true
		d.Conversations = append(d.Conversations, conversationRef{Sender: m.Sender, User: m.Recipient, Last: m.Created, Status: m.Status})
	}
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
	var err error
	if d.Entries, err = c.thread(r, u, sender, usr); err != nil {
		c.refused(w, r, u, err)
		return
	}
	until, err := c.cfg.Store.WindowOpenUntil(r.Context(), sender, usr)
	if err != nil {
		c.refused(w, r, u, err)
		return
	}
	if d.WindowOpen = until.After(c.now()); d.WindowOpen {
		d.WindowUntil = until.UTC().Format(time.DateTime) + " UTC"
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

// thread is the conversation between sender and user, oldest first: the
// messages sent to the user among the account's newest, and the user's
// newest message.
func (c *Console) thread(r *http.Request, u *user, sender, usr string) ([]entry, error) {
	var page struct {
		Messages []messageView `json:"messages"`
	}
	if err := c.call(r, u, "GET", "/api/waba/messages?limit=500", nil).decode(&page); err != nil {
		return nil, err
	}
	var es []entry
	for _, m := range page.Messages {
		if m.Sender != sender || (m.Recipient != usr && (m.UserID == nil || *m.UserID != usr)) {
			continue
		}
		at, _ := time.Parse(time.RFC3339, m.Created)
		es = append(es, entry{At: at, ID: m.ID, Content: m.Content(), Status: m.Status})
	}
	in, err := c.cfg.Store.LastInbound(r.Context(), u.Account.ID, sender, usr)
	switch {
	case errors.Is(err, openwaba.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		es = append(es, inboundEntry(in))
	}
	slices.SortStableFunc(es, func(a, b entry) int { return a.At.Compare(b.At) })
	return es, nil
}

func inboundEntry(in openwaba.InboundMessage) entry {
	text := in.Text
	if text == "" {
		text = "[" + in.Type + "]"
	}
	return entry{Inbound: true, At: in.SentAt, ID: strconv.FormatInt(in.ID, 10), Content: shown{Body: text}, Name: in.ProfileName}
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
