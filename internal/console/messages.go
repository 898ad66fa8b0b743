package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/openwaba/openwaba"
)

// messageView is a message as GET /api/waba/messages answers it.
type messageView struct {
	ID              string   `json:"id"`
	Sender          string   `json:"sender"`
	Recipient       string   `json:"recipient"`
	UserID          *string  `json:"user_id"`
	Username        *string  `json:"username"`
	Type            string   `json:"type"`
	Text            string   `json:"text"`
	Label           *string  `json:"label"`
	ForeignID       *string  `json:"foreign_id"`
	Price           float64  `json:"price"`
	Billable        *bool    `json:"billable"`
	PricingCategory *string  `json:"pricing_category"`
	SettledPrice    *float64 `json:"settled_price"`
	Status          string   `json:"status"`
	StatusTime      string   `json:"status_time"`
	WAMID           *string  `json:"wamid"`
	Created         string   `json:"created"`
	Scheduled       string   `json:"scheduled"`
	Expires         string   `json:"expires"`
	ErrorCode       *int     `json:"error_code"`
	ErrorText       *string  `json:"error_text"`
	Statuses        []struct {
		Status    string  `json:"status"`
		Time      string  `json:"time"`
		ErrorCode *int    `json:"error_code"`
		ErrorText *string `json:"error_text"`
	} `json:"statuses"`
}

// Content is the message as the user sees it, read from the API's "text"
// (the text itself, or a JSON description with the rendered template).
func (m messageView) Content() shown {
	if m.Type == "text" {
		return shown{Body: m.Text}
	}
	var d struct {
		Template string `json:"template"`
		Rendered struct {
			Header  string `json:"header"`
			Body    string `json:"body"`
			Footer  string `json:"footer"`
			Buttons []struct {
				Text string `json:"text"`
			} `json:"buttons"`
		} `json:"rendered"`
		URL      string `json:"url"`
		Caption  string `json:"caption"`
		Filename string `json:"filename"`
		Name     string `json:"name"`
		Address  string `json:"address"`
		Header   string `json:"header"`
		Body     string `json:"body"`
		Footer   string `json:"footer"`
	}
	if json.Unmarshal([]byte(m.Text), &d) != nil {
		return shown{Body: m.Text}
	}
	s := shown{Template: d.Template, Header: d.Rendered.Header + d.Header, Body: d.Rendered.Body + d.Body, Footer: d.Rendered.Footer + d.Footer,
		URL: d.URL, Caption: d.Caption + d.Filename}
	for _, b := range d.Rendered.Buttons {
		s.Buttons = append(s.Buttons, b.Text)
	}
	if d.Name != "" || d.Address != "" {
		s.Body = d.Name + " " + d.Address
	}
	return s
}

// Cancellable is whether the message has not gone to WhatsApp yet (the
// API decides; the button is only not offered when it cannot succeed).
func (m messageView) Cancellable() bool {
	switch m.Status {
	case "queued", "scheduled", "held_for_quality_assessment", "paused":
		return true
	}
	return false
}

type shown struct {
	Template, Header, Body, Footer, URL, Caption string
	Buttons                                      []string
}

type messagesData struct {
	Filter   url.Values
	Statuses []openwaba.Status
	Messages []messageView
	Next     string
}

// listFilters are the API's filters of GET /api/waba/messages, passed on
// as the user typed them: the API checks them.
var listFilters = []string{"status", "recipient", "sender", "template", "foreign_id", "label", "from", "to", "limit", "before"}

func (c *Console) messages(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	q := url.Values{}
	for _, f := range listFilters {
		if v := r.URL.Query().Get(f); v != "" {
			q.Set(f, v)
		}
	}
	if q.Get("limit") == "" {
		q.Set("limit", "50")
	}
	var page struct {
		Messages []messageView `json:"messages"`
		Next     *string       `json:"next"`
	}
	d := messagesData{Filter: q, Statuses: openwaba.Statuses()}
	v := &view{Title: "Messages", Nav: "messages", User: u, Live: true, Notice: notice(r)}
	status := http.StatusOK
	a := c.call(r, u, "GET", "/api/waba/messages?"+q.Encode(), nil)
	if err := a.decode(&page); err != nil {
		if _, ok := err.(*apiError); !ok {
			c.refused(w, r, u, err)
			return
		}
		// A filter the API refused: the form again, with its words.
		v.Problem, status = err.Error(), a.Status
	}
	d.Messages = page.Messages
	if page.Next != nil {
		n := url.Values{}
		for k := range q {
			n.Set(k, q.Get(k))
		}
		n.Set("before", *page.Next)
		d.Next = "/console/messages?" + n.Encode()
	}
	v.Data = d
	c.render(w, r, status, "messages", v)
}

func (c *Console) message(w http.ResponseWriter, r *http.Request) {
	u, ok := c.page(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	var m messageView
	if err := c.call(r, u, "GET", "/api/waba/messages/"+url.PathEscape(r.PathValue("id")), nil).decode(&m); err != nil {
		c.refused(w, r, u, err)
		return
	}
	d := messageData{Message: m, Hooks: u.Can("hooks")}
	if d.Hooks {
		// The outbox keeps only what is pending or dead (delivered rows
		// are deleted): the message's dead letters are what can be shown.
		var dead struct {
			Deliveries []deliveryView `json:"deliveries"`
		}
		if err := c.call(r, u, "GET", "/api/hooks/dead", nil).decode(&dead); err != nil {
			c.refused(w, r, u, err)
			return
		}
		for _, dl := range dead.Deliveries {
			if dl.MessageID != nil && strconv.FormatInt(*dl.MessageID, 10) == m.ID {
				d.Dead = append(d.Dead, dl)
			}
		}
	}
	c.render(w, r, http.StatusOK, "message", &view{Title: "Message " + m.ID, Nav: "messages", User: u, Live: true, Notice: notice(r), Data: d})
}

type messageData struct {
	Message messageView
	Hooks   bool
	Dead    []deliveryView
}

func (c *Console) cancelMessage(w http.ResponseWriter, r *http.Request) {
	u, ok := c.form(w, r)
	if !ok || !c.requireScope(w, r, u, "waba") {
		return
	}
	id := r.PathValue("id")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		c.renderError(w, r, u, http.StatusNotFound, "No such message.")
		return
	}
	var res struct {
		Success bool `json:"success"`
	}
	if err := c.call(r, u, "DELETE", "/api/waba/messages/"+id, nil).decode(&res); err != nil {
		c.refused(w, r, u, err)
		return
	}
	http.Redirect(w, r, "/console/messages/"+id+"?done=cancelled", http.StatusSeeOther)
}
