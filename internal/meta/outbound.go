package meta

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/openwaba/openwaba"
)

// errUnsupported marks content the adapter cannot express in Meta's format.
var errUnsupported = errors.New("unsupported content")

// buildMessage turns a message into Meta's send body. Content has been
// validated by the API; here it is only reshaped.
func buildMessage(m openwaba.Message) (outMessage, error) {
	out := outMessage{
		MessagingProduct:      "whatsapp",
		RecipientType:         "individual",
		Type:                  string(m.Content.Type),
		BizOpaqueCallbackData: m.ForeignID,
	}
	address(&out, m.Recipient)
	c := m.Content
	switch c.Type {
	case openwaba.TypeText:
		out.Text = &outText{Body: c.Text, PreviewURL: c.PreviewURL}
	case openwaba.TypeImage, openwaba.TypeVideo, openwaba.TypeAudio, openwaba.TypeDocument, openwaba.TypeSticker:
		if c.Media == nil {
			return out, fmt.Errorf("%w: %s without media", errUnsupported, c.Type)
		}
		setMedia(&out, c.Type, c.Media)
	case openwaba.TypeLocation:
		if c.Location == nil {
			return out, fmt.Errorf("%w: location without coordinates", errUnsupported)
		}
		l := c.Location
		out.Location = &outLocation{Latitude: coordinate(l.Latitude), Longitude: coordinate(l.Longitude), Name: l.Name, Address: l.Address}
	case openwaba.TypeContacts:
		out.Contacts = contacts(c.Contacts)
	case openwaba.TypeInteractive:
		in, err := interactive(c.Interactive)
		if err != nil {
			return out, err
		}
		out.Interactive = in
	case openwaba.TypeTemplate:
		if c.Template == nil {
			return out, fmt.Errorf("%w: template without name", errUnsupported)
		}
		out.Template = template(c.Template)
	default:
		return out, fmt.Errorf("%w: type %q", errUnsupported, c.Type)
	}
	return out, nil
}

// address names the recipient: a phone number as to, a BSUID or parent
// BSUID as recipient (Meta: "to" takes numbers; if both are given, "to"
// wins, so only one is sent).
func address(out *outMessage, to string) {
	if openwaba.IsBSUID(to) {
		out.Recipient = to
		return
	}
	out.To = to
}

// setMedia fills the media object. Meta refuses a caption on audio and
// stickers and a filename on anything but documents, so they are dropped
// rather than failing the message.
func setMedia(out *outMessage, t openwaba.MessageType, m *openwaba.Media) {
	obj := &outMedia{Link: m.URL}
	if m.MetaID != "" {
		obj = &outMedia{ID: m.MetaID}
	}
	switch t {
	case openwaba.TypeImage:
		obj.Caption, out.Image = m.Caption, obj
	case openwaba.TypeVideo:
		obj.Caption, out.Video = m.Caption, obj
	case openwaba.TypeDocument:
		obj.Caption, obj.Filename, out.Document = m.Caption, m.Filename, obj
	case openwaba.TypeAudio:
		out.Audio = obj
	case openwaba.TypeSticker:
		out.Sticker = obj
	}
}

// contacts reshapes contact cards. Phone types are upper case on Meta's
// side (CELL, MAIN, IPHONE, HOME, WORK); seven takes them in lower case.
func contacts(cs []openwaba.Contact) []outContact {
	out := make([]outContact, len(cs))
	for i, c := range cs {
		oc := outContact{Name: outContactName{FormattedName: c.Name.Formatted, FirstName: c.Name.First, LastName: c.Name.Last}}
		for _, p := range c.Phones {
			oc.Phones = append(oc.Phones, outContactPhone{Phone: p.Phone, Type: strings.ToUpper(p.Type)})
		}
		out[i] = oc
	}
	return out
}

func interactive(in *openwaba.Interactive) (*outInteractive, error) {
	if in == nil {
		return nil, fmt.Errorf("%w: interactive without body", errUnsupported)
	}
	out := &outInteractive{Type: in.Type, Body: outTextObj{Text: in.Body}}
	if in.Header != "" {
		out.Header = &outHeader{Type: "text", Text: in.Header}
	}
	if in.Footer != "" {
		out.Footer = &outTextObj{Text: in.Footer}
	}
	switch in.Type {
	case "button":
		for _, b := range in.Buttons {
			out.Action.Buttons = append(out.Action.Buttons, outButton{Type: "reply", Reply: outReply{ID: b.ID, Title: b.Title}})
		}
	case "list":
		out.Action.Button = in.ButtonText
		for _, s := range in.Sections {
			os := outSection{Title: s.Title, Rows: make([]outRow, len(s.Rows))}
			for i, r := range s.Rows {
				os.Rows[i] = outRow{ID: r.ID, Title: r.Title, Description: r.Description}
			}
			out.Action.Sections = append(out.Action.Sections, os)
		}
	default:
		return nil, fmt.Errorf("%w: interactive type %q", errUnsupported, in.Type)
	}
	return out, nil
}

// template builds the components of a template send. Components without
// parameters are left out: Meta takes the static parts from the template.
func template(t *openwaba.TemplateSend) *outTemplate {
	out := &outTemplate{Name: t.Name, Language: outLanguage{Code: t.Language, Policy: "deterministic"}}
	if len(t.Header) > 0 {
		params := make([]outParam, len(t.Header))
		for i, p := range t.Header {
			params[i] = headerParam(t.HeaderFormat, p, t.Named)
		}
		out.Components = append(out.Components, outComponent{Type: "header", Parameters: params})
	}
	if len(t.Body) > 0 {
		params := make([]outParam, len(t.Body))
		for i, p := range t.Body {
			params[i] = textParam(p, t.Named)
		}
		out.Components = append(out.Components, outComponent{Type: "body", Parameters: params})
	}
	for _, b := range t.Buttons {
		subType := strings.ToLower(b.SubType)
		params := make([]outParam, len(b.Parameters))
		for i, p := range b.Parameters {
			params[i] = buttonParam(subType, p)
		}
		out.Components = append(out.Components, outComponent{
			Type:       "button",
			SubType:    subType,
			Index:      strconv.Itoa(b.Index), // Meta wants the index as a string
			Parameters: params,
		})
	}
	return out
}

// headerParam builds a header parameter. For media headers the param's
// Text is the media URL; the registered header format decides the kind.
func headerParam(format string, p openwaba.TemplateParam, named bool) outParam {
	kind := strings.ToLower(format)
	if kind == "" || kind == "text" {
		kind = strings.ToLower(p.Type)
	}
	link := &outLink{Link: p.Text}
	if p.MetaID != "" {
		link = &outLink{ID: p.MetaID}
	}
	switch kind {
	case "image":
		return outParam{Type: "image", Image: link}
	case "video":
		return outParam{Type: "video", Video: link}
	case "document":
		return outParam{Type: "document", Document: link}
	case "location":
		if l := p.Location; l != nil {
			return outParam{Type: "location", Location: &outLocation{Latitude: coordinate(l.Latitude), Longitude: coordinate(l.Longitude), Name: l.Name, Address: l.Address}}
		}
	}
	return textParam(p, named)
}

func textParam(p openwaba.TemplateParam, named bool) outParam {
	out := outParam{Type: "text", Text: p.Text}
	if named {
		out.ParameterName = p.Name
	}
	return out
}

// buttonParam builds a button parameter: a payload for quick replies, a
// coupon_code for copy-code buttons (Meta's shape for those), else text
// (the URL suffix of a dynamic URL button).
func buttonParam(subType string, p openwaba.TemplateParam) outParam {
	switch {
	case p.Type == "payload" || (subType == "quick_reply" && p.Type == ""):
		payload := p.Payload
		if payload == "" {
			payload = p.Text
		}
		return outParam{Type: "payload", Payload: payload}
	case subType == "copy_code":
		return outParam{Type: "coupon_code", CouponCode: p.Text}
	}
	return outParam{Type: "text", Text: p.Text}
}

// coordinate formats a latitude or longitude with as many digits as it
// needs and no exponent.
func coordinate(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
