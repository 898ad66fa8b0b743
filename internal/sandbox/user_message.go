package sandbox

import (
	"fmt"
)

// Types of UserMessage: every kind of message Meta's webhooks deliver.
const (
	InboundText        = "text"
	InboundImage       = "image"
	InboundVideo       = "video"
	InboundAudio       = "audio"
	InboundDocument    = "document"
	InboundSticker     = "sticker"
	InboundLocation    = "location"
	InboundContacts    = "contacts"
	InboundButton      = "button"       // a template's quick-reply button
	InboundButtonReply = "button_reply" // interactive reply button
	InboundListReply   = "list_reply"   // interactive list row
	InboundReaction    = "reaction"
	InboundSystem      = "system" // the user changed their number
	InboundUnsupported = "unsupported"
)

// InboundTypes lists the types a UserMessage may have.
var InboundTypes = []string{
	InboundText, InboundImage, InboundVideo, InboundAudio, InboundDocument, InboundSticker,
	InboundLocation, InboundContacts, InboundButton, InboundButtonReply, InboundListReply,
	InboundReaction, InboundSystem, InboundUnsupported,
}

// UserMessage is what a sandbox user sends. Type picks the kind; the
// other fields fill it in where the kind has them, and are made up
// plausibly when empty, so that UserMessage{Type: "image"} is enough.
type UserMessage struct {
	Type string // one of InboundTypes; text when empty
	// Text is the text body, the caption of an image, video or document,
	// the text of a button, the title of a reply, or a system message's
	// body.
	Text string
	// ID is a button's payload or a reply's id.
	ID          string
	Description string // of a list row
	Filename    string // of a document
	Latitude    float64
	Longitude   float64
	Name        string // of a location, or a shared contact's formatted name
	Address     string // of a location
	Phone       string // of a shared contact
	Emoji       string // of a reaction; empty removes it
	// Context is the wamid of our message the user answers: required for
	// buttons, replies and reactions (which react to it).
	Context string
	NewWaID string // of a system message: the user's new number
	// Username is the username of the user who writes: with a BSUID as
	// the sender, a user whose number Meta withholds.
	Username string
	// Data is the file of an image, video, audio, document or sticker
	// (made-up bytes when nil) and MIMEType its type (the type's usual
	// one when empty): the sandbox serves it under the message's media
	// id, with its real hash, as Meta does.
	Data     []byte
	MIMEType string
}

// media is the message's media object, if it has one.
func (m whMessage) media() *whMedia {
	for _, x := range []*whMedia{m.Image, m.Video, m.Audio, m.Document, m.Sticker} {
		if x != nil {
			return x
		}
	}
	return nil
}

// webhookMessage fills in msg (from, id and timestamp set) for the type.
func (um UserMessage) webhookMessage(msg whMessage, num number) (whMessage, error) {
	typ := um.Type
	if typ == "" {
		typ = InboundText
	}
	msg.Type = typ
	needsContext := func() error {
		if um.Context == "" {
			return fmt.Errorf("%w: a %s answers one of our messages: context (its wamid) is required", ErrInvalidUserMessage, typ)
		}
		msg.Context = &whContext{From: num.Display, ID: um.Context}
		return nil
	}
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	switch typ {
	case InboundText:
		if um.Text == "" {
			return msg, fmt.Errorf("%w: text is required", ErrInvalidUserMessage)
		}
		msg.Text = &whText{Body: um.Text}
		if um.Context != "" {
			msg.Context = &whContext{From: num.Display, ID: um.Context}
		}
	case InboundImage:
		msg.Image = media("image/jpeg", um.Text, "")
	case InboundVideo:
		msg.Video = media("video/mp4", um.Text, "")
	case InboundAudio:
		msg.Audio = media("audio/ogg; codecs=opus", "", "")
		voice := true // a voice note, what users send most
		msg.Audio.Voice = &voice
	case InboundDocument:
		msg.Document = media("application/pdf", um.Text, or(um.Filename, "document.pdf"))
	case InboundSticker:
		msg.Sticker = media("image/webp", "", "")
		animated := false
		msg.Sticker.Animated = &animated
	case InboundLocation:
		msg.Location = &whLocation{Latitude: um.Latitude, Longitude: um.Longitude,
			Name: or(um.Name, "Sandbox Place"), Address: or(um.Address, "1 Sandbox Street")}
	case InboundContacts:
		card := whContactCard{}
		card.Name.FormattedName = or(um.Name, "Sandbox Friend")
		phone := or(um.Phone, "+1 555 0100")
		card.Phones = []whContactPhone{{Phone: phone, WaID: digits(phone), Type: "CELL"}}
		msg.Contacts = []whContactCard{card}
	case InboundButton:
		if err := needsContext(); err != nil {
			return msg, err
		}
		text := or(um.Text, "OK")
		msg.Button = &whButton{Payload: or(um.ID, text), Text: text}
	case InboundButtonReply:
		if err := needsContext(); err != nil {
			return msg, err
		}
		msg.Type = "interactive"
		msg.Interactive = &whInteractive{Type: typ, ButtonReply: &whReply{ID: or(um.ID, "button-1"), Title: or(um.Text, "OK")}}
	case InboundListReply:
		if err := needsContext(); err != nil {
			return msg, err
		}
		msg.Type = "interactive"
		msg.Interactive = &whInteractive{Type: typ, ListReply: &whListReply{ID: or(um.ID, "row-1"), Title: or(um.Text, "Option 1"), Description: um.Description}}
	case InboundReaction:
		if um.Context == "" {
			return msg, fmt.Errorf("%w: a reaction needs context, the wamid it reacts to", ErrInvalidUserMessage)
		}
		msg.Reaction = &whReaction{MessageID: um.Context, Emoji: um.Emoji}
	case InboundSystem:
		newID := digits(or(um.NewWaID, "15550100999"))
		msg.System = &whSystem{
			Body: or(um.Text, "User "+InboundProfileName+" changed from "+msg.From+" to "+newID),
			WaID: newID, Type: "user_changed_number",
		}
	case InboundUnsupported:
		e := whError{Code: 131051, Title: "Message type unknown", Message: "Message type unknown"}
		e.ErrorData.Details = "Message type is currently not supported."
		msg.Errors = []whError{e}
	default:
		return msg, fmt.Errorf("%w: type %q is none of %v", ErrInvalidUserMessage, typ, InboundTypes)
	}
	return msg, nil
}

// media is an inbound media object; the sandbox gives it its file, id and
// hash (Sandbox.userMedia).
func media(mime, caption, filename string) *whMedia {
	return &whMedia{Caption: caption, Filename: filename, MimeType: mime}
}
