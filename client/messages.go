package client

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Message is the content of a WhatsApp message: Template, Text, Image,
// Video, Audio, Document, Sticker, Location, Contacts, Buttons or List.
type Message interface {
	// Type is the message's "type" field.
	Type() string
	apply(*wireMessage)
}

// Template is a pre-approved template; templates may start a conversation.
type Template struct {
	Name       string      // e.g. "hello_world"
	Language   string      // e.g. "de"; matched exactly
	Components *Components // placeholder values, when the template has any
}

// Components are a template's placeholder values.
type Components struct {
	Header  []string         `json:"header,omitempty"` // text values, or one media URL
	Body    []Param          `json:"body,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
}

// Param is one body value; Name is set for named placeholders
// ({{first_name}}) and sends {"type":"text","text":..,"parameter_name":..}.
type Param struct {
	Text string
	Name string
}

// Values makes positional body values ({{1}}, {{2}}, ...).
func Values(texts ...string) []Param {
	out := make([]Param, len(texts))
	for i, t := range texts {
		out[i] = Param{Text: t}
	}
	return out
}

// MarshalJSON sends a positional value as a plain string.
func (p Param) MarshalJSON() ([]byte, error) {
	if p.Name == "" {
		return json.Marshal(p.Text)
	}
	return json.Marshal(struct {
		Type string `json:"type"`
		Text string `json:"text"`
		Name string `json:"parameter_name"`
	}{"text", p.Text, p.Name})
}

// UnmarshalJSON reads a string or a {"text","parameter_name"} object.
func (p *Param) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		p.Name = ""
		return json.Unmarshal(b, &p.Text)
	}
	var o struct {
		Text string `json:"text"`
		Name string `json:"parameter_name"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	p.Text, p.Name = o.Text, o.Name
	return nil
}

// TemplateButton fills a button's placeholder: a URL suffix or a code.
type TemplateButton struct {
	Type       string        `json:"type"`            // "button"
	SubType    string        `json:"sub_type"`        // "url", "copy_code", ...
	Index      *int          `json:"index,omitempty"` // picks the button; in order when nil
	Parameters []ButtonParam `json:"parameters"`
}

// ButtonParam is a button's value.
type ButtonParam struct {
	Type string `json:"type"` // "text"
	Text string `json:"text"`
}

// URLButton is the value of a URL button with a dynamic suffix.
func URLButton(suffix string) TemplateButton {
	return TemplateButton{Type: "button", SubType: "url", Parameters: []ButtonParam{{Type: "text", Text: suffix}}}
}

// Text is a freetext message (inside the 24-hour window).
type Text struct{ Body string }

// Image is an image by public URL (JPEG, PNG).
type Image struct{ URL, Caption string }

// Video is a video by public URL (MP4, 3GPP).
type Video struct{ URL, Caption string }

// Audio is an audio file by public URL (MP3, OGG, AMR, AAC).
type Audio struct{ URL string }

// Document is a document by public URL; Filename is shown to the user.
type Document struct{ URL, Filename, Caption string }

// Sticker is a WebP sticker by public URL.
type Sticker struct{ URL string }

// Location is a pin on the map.
type Location struct {
	Latitude, Longitude float64
	Name, Address       string
}

// Contacts are 1 to 5 contact cards.
type Contacts []Contact

// Contact is one contact card.
type Contact struct {
	Name   ContactName    `json:"name"`
	Phones []ContactPhone `json:"phones"`
}

// ContactName is a contact's name.
type ContactName struct {
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	FormattedName string `json:"formatted_name,omitempty"`
}

// ContactPhone is a contact's number; Type is cell, main, iphone, home or work.
type ContactPhone struct {
	Phone string `json:"phone"`
	Type  string `json:"type,omitempty"`
}

// Buttons is an interactive message with 2 or 3 reply buttons.
type Buttons struct {
	Body, Header, Footer string
	Buttons              []Button
}

// Button is a reply button.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// List is an interactive list message.
type List struct {
	Body, Header, Footer string
	ButtonText           string
	Sections             []Section
}

// Section is a titled group of rows of a list.
type Section struct {
	Title string `json:"title,omitempty"`
	Rows  []Row  `json:"rows"`
}

// Row is a choice of a list.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

func (Template) Type() string { return "template" }
func (Text) Type() string     { return "text" }
func (Image) Type() string    { return "image" }
func (Video) Type() string    { return "video" }
func (Audio) Type() string    { return "audio" }
func (Document) Type() string { return "document" }
func (Sticker) Type() string  { return "sticker" }
func (Location) Type() string { return "location" }
func (Contacts) Type() string { return "contacts" }
func (Buttons) Type() string  { return "interactive" }
func (List) Type() string     { return "interactive" }

func (m Template) apply(w *wireMessage) {
	w.Template, w.Language, w.Components = m.Name, m.Language, m.Components
}
func (m Text) apply(w *wireMessage)  { w.Text = m.Body }
func (m Image) apply(w *wireMessage) { w.URL, w.Caption = m.URL, m.Caption }
func (m Video) apply(w *wireMessage) { w.URL, w.Caption = m.URL, m.Caption }
func (m Audio) apply(w *wireMessage) { w.URL = m.URL }
func (m Document) apply(w *wireMessage) {
	w.URL, w.Filename, w.Caption = m.URL, m.Filename, m.Caption
}
func (m Sticker) apply(w *wireMessage) { w.URL = m.URL }
func (m Location) apply(w *wireMessage) {
	w.Latitude, w.Longitude, w.Name, w.Address = &m.Latitude, &m.Longitude, m.Name, m.Address
}
func (m Contacts) apply(w *wireMessage) { w.Contacts = m }
func (m Buttons) apply(w *wireMessage) {
	w.InteractiveType, w.Body, w.Header, w.Footer, w.Buttons = "button", m.Body, m.Header, m.Footer, m.Buttons
}
func (m List) apply(w *wireMessage) {
	w.InteractiveType, w.Body, w.Header, w.Footer = "list", m.Body, m.Header, m.Footer
	w.ButtonText, w.Sections = m.ButtonText, m.Sections
}

// SendRequest is one POST /waba/messages.
type SendRequest struct {
	From    string   // your sender number, international format
	To      []string // one or more recipients
	Message Message

	Label     string        // for statistics
	ForeignID string        // returned in status reports
	TTL       time.Duration // validity, in whole minutes; 0: the API's default (48h)
	Delay     time.Time     // scheduled sending; zero: now
	// DelayText, when set, is sent as the delay field as it is, instead of
	// Delay: seven's "YYYY-MM-DD hh:mm:ss", which the gateway reads in the
	// account's time zone, the same with an offset, or a Unix timestamp.
	DelayText           string
	PerformanceTracking bool
	Debug               bool // validate and price only

	// IdempotencyKey makes retries safe; the client generates one when
	// empty. Give your own to make a send safe across process restarts.
	IdempotencyKey string
}

// wireMessage is the JSON body of a send, in seven's field names.
type wireMessage struct {
	From                string      `json:"from"`
	To                  string      `json:"to"`
	Type                string      `json:"type"`
	Template            string      `json:"template,omitempty"`
	Language            string      `json:"language,omitempty"`
	Components          *Components `json:"components,omitempty"`
	Text                string      `json:"text,omitempty"`
	URL                 string      `json:"url,omitempty"`
	Caption             string      `json:"caption,omitempty"`
	Filename            string      `json:"filename,omitempty"`
	Latitude            *float64    `json:"latitude,omitempty"`
	Longitude           *float64    `json:"longitude,omitempty"`
	Name                string      `json:"name,omitempty"`
	Address             string      `json:"address,omitempty"`
	Contacts            []Contact   `json:"contacts,omitempty"`
	InteractiveType     string      `json:"interactive_type,omitempty"`
	Header              string      `json:"header,omitempty"`
	Body                string      `json:"body,omitempty"`
	Footer              string      `json:"footer,omitempty"`
	Buttons             []Button    `json:"buttons,omitempty"`
	ButtonText          string      `json:"button_text,omitempty"`
	Sections            []Section   `json:"sections,omitempty"`
	Label               string      `json:"label,omitempty"`
	ForeignID           string      `json:"foreign_id,omitempty"`
	TTL                 int         `json:"ttl,omitempty"`
	Delay               string      `json:"delay,omitempty"`
	PerformanceTracking bool        `json:"performance_tracking,omitempty"`
	Debug               bool        `json:"debug,omitempty"`
}

// Body returns the JSON body the request is sent as.
func (r SendRequest) Body() ([]byte, error) {
	if r.Message == nil {
		return nil, fmt.Errorf("send: no message")
	}
	w := wireMessage{
		From: r.From, To: strings.Join(r.To, ","), Type: r.Message.Type(),
		Label: r.Label, ForeignID: r.ForeignID, TTL: int(r.TTL / time.Minute),
		PerformanceTracking: r.PerformanceTracking, Debug: r.Debug,
	}
	if !r.Delay.IsZero() {
		w.Delay = strconv.FormatInt(r.Delay.Unix(), 10)
	}
	if r.DelayText != "" {
		w.Delay = r.DelayText
	}
	r.Message.apply(&w)
	return jsonBody(w)
}

// SendResponse is seven's answer to a send.
type SendResponse struct {
	// Success is "100" when every recipient was accepted, "101" when some
	// were, otherwise the refusal's code ("7002001", "500").
	Success    string        `json:"success"`
	TotalPrice float64       `json:"total_price"`
	Balance    float64       `json:"balance"`
	Debug      Bool          `json:"debug"`
	SMSType    string        `json:"sms_type"`
	Messages   []SentMessage `json:"messages"`
}

// SentMessage is one recipient's entry of a SendResponse.
type SentMessage struct {
	ID        string  `json:"id"` // empty when refused or debug
	Sender    string  `json:"sender"`
	Recipient string  `json:"recipient"`
	Text      string  `json:"text"`
	Encoding  string  `json:"encoding"`
	Label     string  `json:"label"`
	Parts     int     `json:"parts"`
	UDH       string  `json:"udh"`
	IsBinary  bool    `json:"is_binary"`
	Price     float64 `json:"price"`
	Channel   string  `json:"channel"`
	Success   bool    `json:"success"`
	Error     string  `json:"error"`
	ErrorText string  `json:"error_text"`
}

// Err is the entry's refusal as an *APIError (nil when accepted): e.g.
// errors.Is(m.Err(), ErrNotInConversation).
func (m SentMessage) Err() error {
	if m.Success {
		return nil
	}
	code, _ := strconv.Atoi(m.Error)
	return &APIError{Status: 200, Code: code, Message: m.ErrorText}
}

// IDs returns the ids of the accepted messages.
func (r *SendResponse) IDs() []string {
	var ids []string
	for _, m := range r.Messages {
		if m.ID != "" {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// Err is nil when every recipient was accepted (success "100"), else the
// first refused entry's error.
func (r *SendResponse) Err() error {
	for _, m := range r.Messages {
		if err := m.Err(); err != nil {
			return err
		}
	}
	if r.Success != "100" {
		code, _ := strconv.Atoi(r.Success)
		return &APIError{Status: 200, Code: code}
	}
	return nil
}

// Bool reads seven's booleans: true/false, "true"/"false", 1/0, "1"/"0".
type Bool bool

// UnmarshalJSON accepts every spelling seven uses.
func (b *Bool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(data), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*b = true
	case "false", "0", "", "null":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", data)
	}
	return nil
}
