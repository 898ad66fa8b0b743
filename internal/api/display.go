package api

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/openwaba/openwaba"
)

// displayText is the "text" seven's API shows for a message: the text of a
// text message, and for every other type a JSON description, which for
// templates carries the rendered text (as in the spec's example).
func displayText(c openwaba.Content) string {
	switch c.Type {
	case openwaba.TypeText:
		return c.Text
	case openwaba.TypeTemplate:
		return compactJSON(struct {
			Type     string                    `json:"type"`
			Template string                    `json:"template"`
			Language string                    `json:"language"`
			Rendered openwaba.RenderedTemplate `json:"rendered"`
		}{"template", c.Template.Name, c.Template.Language, c.Template.Rendered})
	}
	d := displayObject{Type: string(c.Type)}
	switch {
	case c.Media != nil:
		d.URL, d.Caption, d.Filename = c.Media.URL, c.Media.Caption, c.Media.Filename
	case c.Location != nil:
		d.Latitude, d.Longitude = &c.Location.Latitude, &c.Location.Longitude
		d.Name, d.Address = c.Location.Name, c.Location.Address
	case c.Contacts != nil:
		d.Contacts = c.Contacts
	case c.Interactive != nil:
		it := c.Interactive
		d.InteractiveType, d.Header, d.Body, d.Footer = it.Type, it.Header, it.Body, it.Footer
		d.Buttons, d.ButtonText, d.Sections = it.Buttons, it.ButtonText, it.Sections
	}
	return compactJSON(d)
}

type displayObject struct {
	Type            string             `json:"type"`
	URL             string             `json:"url,omitempty"`
	Caption         string             `json:"caption,omitempty"`
	Filename        string             `json:"filename,omitempty"`
	Latitude        *float64           `json:"latitude,omitempty"`
	Longitude       *float64           `json:"longitude,omitempty"`
	Name            string             `json:"name,omitempty"`
	Address         string             `json:"address,omitempty"`
	Contacts        []openwaba.Contact `json:"contacts,omitempty"`
	InteractiveType string             `json:"interactive_type,omitempty"`
	Header          string             `json:"header,omitempty"`
	Body            string             `json:"body,omitempty"`
	Footer          string             `json:"footer,omitempty"`
	Buttons         []openwaba.Button  `json:"buttons,omitempty"`
	ButtonText      string             `json:"button_text,omitempty"`
	Sections        []openwaba.Section `json:"sections,omitempty"`
}

func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

// readableText is the text a person reads in the message, which decides
// its encoding.
func readableText(c openwaba.Content) string {
	switch {
	case c.Type == openwaba.TypeText:
		return c.Text
	case c.Template != nil:
		r := c.Template.Rendered
		return r.Header + r.Body + r.Footer
	case c.Media != nil:
		return c.Media.Caption
	case c.Location != nil:
		return c.Location.Name + c.Location.Address
	case c.Interactive != nil:
		return c.Interactive.Header + c.Interactive.Body + c.Interactive.Footer
	case c.Contacts != nil:
		var b strings.Builder
		for _, ct := range c.Contacts {
			b.WriteString(ct.Name.Formatted)
		}
		return b.String()
	}
	return ""
}

// gsmChars is the GSM 03.38 default alphabet and its extension table.
const gsmChars = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" +
	"^{}\\[~]|€\f"

// encoding is "gsm" when every character fits the GSM 7-bit alphabet and
// "ucs2" otherwise, as seven reports it.
func encoding(s string) string {
	for _, r := range s {
		if !strings.ContainsRune(gsmChars, r) {
			return "ucs2"
		}
	}
	return "gsm"
}
