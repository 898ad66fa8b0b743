package sandbox

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/openwaba/openwaba"
)

// Meta's limits on outbound messages (characters, not bytes).
const (
	maxTextBody        = 4096
	maxCaption         = 1024
	maxInteractiveBody = 1024
	maxHeaderFooter    = 60
	maxButtons         = 3
	maxButtonTitle     = 20
	maxButtonID        = 256
	maxListButton      = 20
	maxSections        = 10
	maxRows            = 10 // in total, over all sections
	maxRowTitle        = 24
	maxRowDescription  = 72
	maxRowID           = 200
	maxSectionTitle    = 24
	maxCallbackData    = 512
	maxContacts        = 5
)

var toRE = regexp.MustCompile(`^\+?[0-9]{5,15}$`)

// validate checks a send like Meta does and returns what it is priced as
// (the template's category, or service).
func (s *Sandbox) validate(m *inMessage) (string, *apiError) {
	if m.RecipientType != "" && m.RecipientType != "individual" {
		return "", invalid("recipient_type", "the sandbox only sends to individual recipients, got %q", m.RecipientType)
	}
	switch {
	case m.To == "" && m.Recipient == "":
		return "", missing("to")
	case m.To != "" && !toRE.MatchString(m.To):
		return "", newError(100, "to: %q is not a phone number (digits, optionally with a leading +).", m.To)
	case m.To == "" && !openwaba.IsBSUID(m.Recipient):
		return "", newError(100, "recipient: %q is not a business-scoped user ID (a country code, a dot and up to 128 letters and digits).", m.Recipient)
	}
	if err := maxLen("biz_opaque_callback_data", m.BizOpaqueCallbackData, maxCallbackData); err != nil {
		return "", err
	}
	if m.Type == "" {
		m.Type = "text" // Meta's default
	}
	var err *apiError
	switch m.Type {
	case "text":
		err = validateText(m.Text)
	case "image", "video", "audio", "document", "sticker":
		err = validateMedia(m.Type, mediaOf(m))
		if o := mediaOf(m); err == nil && o.ID != "" {
			// Meta takes only ids of files it keeps (uploaded, 30 days).
			if _, ok := s.mediaByID(o.ID); !ok {
				err = newError(131053, "%s.id: %s is not an uploaded media id, or it expired.", m.Type, o.ID)
			}
		}
	case "location":
		err = validateLocation(m.Location)
	case "contacts":
		err = validateContacts(m.Contacts)
	case "interactive":
		err = validateInteractive(m.Interactive)
	case "reaction":
		err = validateReaction(m.Reaction)
	case "template":
		return s.validateTemplate(m.Template)
	default:
		err = newError(100, "type: %q is not a message type the sandbox knows (text, image, video, audio, document, sticker, location, contacts, interactive, reaction, template).", m.Type)
	}
	return "service", err
}

func validateText(t *inText) *apiError {
	if t == nil || t.Body == nil || *t.Body == "" {
		return missing("text.body")
	}
	return maxLen("text.body", *t.Body, maxTextBody)
}

func mediaOf(m *inMessage) *inMedia {
	switch m.Type {
	case "image":
		return m.Image
	case "video":
		return m.Video
	case "audio":
		return m.Audio
	case "document":
		return m.Document
	case "sticker":
		return m.Sticker
	}
	return nil
}

// validateMedia checks a media object of type typ at field.
func validateMedia(field string, o *inMedia) *apiError {
	typ := field[strings.LastIndex(field, ".")+1:]
	if o == nil {
		return missing(field)
	}
	switch {
	case o.ID != "" && o.Link != "":
		return invalid(field, "give either id or link, not both")
	case o.ID == "" && o.Link == "":
		return missing(field + ".link")
	case o.Link != "" && !httpURL(o.Link):
		return invalid(field+".link", "%q is not an http(s) URL", o.Link)
	}
	if o.Caption != nil {
		if typ != "image" && typ != "video" && typ != "document" {
			return newError(100, "%s.caption is not a valid parameter: only image, video and document take a caption.", field)
		}
		if err := maxLen(field+".caption", *o.Caption, maxCaption); err != nil {
			return err
		}
	}
	if o.Filename != nil && typ != "document" {
		return newError(100, "%s.filename is not a valid parameter: only documents take a filename.", field)
	}
	if o.Voice != nil && typ != "audio" {
		return newError(100, "%s.voice is not a valid parameter: only audio takes voice.", field)
	}
	return nil
}

func validateLocation(l *inLocation) *apiError {
	switch {
	case l == nil:
		return missing("location")
	case l.Latitude == nil:
		return missing("location.latitude")
	case l.Longitude == nil:
		return missing("location.longitude")
	case *l.Latitude < -90 || *l.Latitude > 90:
		return invalid("location.latitude", "%v is not between -90 and 90", float64(*l.Latitude))
	case *l.Longitude < -180 || *l.Longitude > 180:
		return invalid("location.longitude", "%v is not between -180 and 180", float64(*l.Longitude))
	}
	return nil
}

var phoneTypes = map[string]bool{"CELL": true, "MAIN": true, "IPHONE": true, "HOME": true, "WORK": true}

func validateContacts(cs []inContact) *apiError {
	if len(cs) == 0 {
		return missing("contacts")
	}
	if len(cs) > maxContacts {
		return invalid("contacts", "at most %d contacts, got %d", maxContacts, len(cs))
	}
	for i, c := range cs {
		f := fmt.Sprintf("contacts[%d]", i)
		if c.Name == nil || c.Name.FormattedName == "" {
			return missing(f + ".name.formatted_name")
		}
		for j, p := range c.Phones {
			pf := fmt.Sprintf("%s.phones[%d]", f, j)
			if p.Phone == "" && p.WaID == "" {
				return missing(pf + ".phone")
			}
			if p.Type != "" && !phoneTypes[p.Type] {
				return invalid(pf+".type", "must be one of CELL, MAIN, IPHONE, HOME, WORK, got %q", p.Type)
			}
		}
	}
	return nil
}

func validateInteractive(in *inInteractive) *apiError {
	if in == nil {
		return missing("interactive")
	}
	if in.Type == "" {
		return missing("interactive.type")
	}
	if in.Type != "button" && in.Type != "list" {
		return invalid("interactive.type", "the sandbox supports button and list, got %q", in.Type)
	}
	if in.Body == nil || in.Body.Text == "" {
		return missing("interactive.body.text")
	}
	if err := maxLen("interactive.body.text", in.Body.Text, maxInteractiveBody); err != nil {
		return err
	}
	if in.Footer != nil {
		if in.Footer.Text == "" {
			return missing("interactive.footer.text")
		}
		if err := maxLen("interactive.footer.text", in.Footer.Text, maxHeaderFooter); err != nil {
			return err
		}
	}
	if h := in.Header; h != nil {
		switch {
		case h.Type == "text":
			if h.Text == "" {
				return missing("interactive.header.text")
			}
			if err := maxLen("interactive.header.text", h.Text, maxHeaderFooter); err != nil {
				return err
			}
		case in.Type == "list":
			return invalid("interactive.header.type", "list messages take a text header only, got %q", h.Type)
		case h.Type == "image":
			return validateMedia("interactive.header.image", h.Image)
		case h.Type == "video":
			return validateMedia("interactive.header.video", h.Video)
		case h.Type == "document":
			return validateMedia("interactive.header.document", h.Document)
		default:
			return invalid("interactive.header.type", "must be text, image, video or document, got %q", h.Type)
		}
	}
	if in.Action == nil {
		return missing("interactive.action")
	}
	if in.Type == "button" {
		return validateButtons(in)
	}
	return validateList(in)
}

func validateButtons(in *inInteractive) *apiError {
	bs := in.Action.Buttons
	if len(bs) == 0 {
		return missing("interactive.action.buttons")
	}
	if len(bs) > maxButtons {
		return invalid("interactive.action.buttons", "at most %d buttons, got %d", maxButtons, len(bs))
	}
	titles, ids := map[string]bool{}, map[string]bool{}
	for i, b := range bs {
		f := fmt.Sprintf("interactive.action.buttons[%d]", i)
		if b.Type != "reply" {
			return invalid(f+".type", "must be reply, got %q", b.Type)
		}
		if b.Reply == nil || b.Reply.Title == "" {
			return missing(f + ".reply.title")
		}
		if b.Reply.ID == "" {
			return missing(f + ".reply.id")
		}
		if err := maxLen(f+".reply.title", b.Reply.Title, maxButtonTitle); err != nil {
			return err
		}
		if err := maxLen(f+".reply.id", b.Reply.ID, maxButtonID); err != nil {
			return err
		}
		if titles[b.Reply.Title] {
			return invalid(f+".reply.title", "button titles must be unique, %q is repeated", b.Reply.Title)
		}
		if ids[b.Reply.ID] {
			return invalid(f+".reply.id", "button ids must be unique, %q is repeated", b.Reply.ID)
		}
		titles[b.Reply.Title], ids[b.Reply.ID] = true, true
	}
	return nil
}

func validateList(in *inInteractive) *apiError {
	a := in.Action
	if a.Button == "" {
		return missing("interactive.action.button")
	}
	if err := maxLen("interactive.action.button", a.Button, maxListButton); err != nil {
		return err
	}
	if len(a.Sections) == 0 {
		return missing("interactive.action.sections")
	}
	if len(a.Sections) > maxSections {
		return invalid("interactive.action.sections", "at most %d sections, got %d", maxSections, len(a.Sections))
	}
	rows := 0
	ids := map[string]bool{}
	for i, sec := range a.Sections {
		f := fmt.Sprintf("interactive.action.sections[%d]", i)
		if sec.Title == "" && len(a.Sections) > 1 {
			return missing(f + ".title")
		}
		if err := maxLen(f+".title", sec.Title, maxSectionTitle); err != nil {
			return err
		}
		if len(sec.Rows) == 0 {
			return missing(f + ".rows")
		}
		rows += len(sec.Rows)
		if rows > maxRows {
			return invalid("interactive.action.sections", "at most %d rows in total", maxRows)
		}
		for j, r := range sec.Rows {
			rf := fmt.Sprintf("%s.rows[%d]", f, j)
			switch {
			case r.ID == "":
				return missing(rf + ".id")
			case r.Title == "":
				return missing(rf + ".title")
			case ids[r.ID]:
				return invalid(rf+".id", "row ids must be unique, %q is repeated", r.ID)
			}
			ids[r.ID] = true
			if err := maxLen(rf+".id", r.ID, maxRowID); err != nil {
				return err
			}
			if err := maxLen(rf+".title", r.Title, maxRowTitle); err != nil {
				return err
			}
			if err := maxLen(rf+".description", r.Description, maxRowDescription); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateReaction(r *inReaction) *apiError {
	switch {
	case r == nil:
		return missing("reaction")
	case r.MessageID == "":
		return missing("reaction.message_id")
	case r.Emoji == nil:
		// "" is allowed (it removes the reaction); absent is not.
		return missing("reaction.emoji")
	}
	return nil
}

// maxLen checks a length in characters, as Meta counts them.
func maxLen(field, s string, max int) *apiError {
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(field, "must be at most %d characters long, got %d", max, n)
	}
	return nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
