package openwaba

// MessageType is the kind of content a message carries, as named in seven's
// API (and, with the same words, in Meta's).
type MessageType string

// Message types of seven's WhatsApp API.
const (
	TypeTemplate    MessageType = "template"
	TypeText        MessageType = "text"
	TypeImage       MessageType = "image"
	TypeVideo       MessageType = "video"
	TypeAudio       MessageType = "audio"
	TypeDocument    MessageType = "document"
	TypeSticker     MessageType = "sticker"
	TypeLocation    MessageType = "location"
	TypeContacts    MessageType = "contacts"
	TypeInteractive MessageType = "interactive"
)

// IsMedia reports whether t carries a media link.
func (t MessageType) IsMedia() bool {
	switch t {
	case TypeImage, TypeVideo, TypeAudio, TypeDocument, TypeSticker:
		return true
	}
	return false
}

// Content is the validated payload of one outbound message, independent of
// the wire format of seven's API and of Meta's. Exactly one of the pointer
// fields (or Text) is set, according to Type. It is stored as JSON.
type Content struct {
	Type        MessageType   `json:"type"`
	Text        string        `json:"text,omitempty"`
	PreviewURL  bool          `json:"preview_url,omitempty"`
	Media       *Media        `json:"media,omitempty"`
	Location    *Location     `json:"location,omitempty"`
	Contacts    []Contact     `json:"contacts,omitempty"`
	Interactive *Interactive  `json:"interactive,omitempty"`
	Template    *TemplateSend `json:"template,omitempty"`
}

// Media is an image, video, audio, document or sticker given by URL, or
// by a file stored with POST /api/waba/media (FileID): the dispatcher
// uploads that to WhatsApp for the sender (once per file and sender while
// WhatsApp keeps it) and sends WhatsApp's media id (MetaID, not stored).
type Media struct {
	URL      string `json:"url,omitempty"`
	FileID   int64  `json:"file_id,omitempty"`
	MetaID   string `json:"-"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Location is a point on the map with an optional name and address.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Contact is a contact card.
type Contact struct {
	Name   ContactName    `json:"name"`
	Phones []ContactPhone `json:"phones"`
}

// ContactName is a contact's name; Formatted is what WhatsApp displays and
// is derived from the parts when not given.
type ContactName struct {
	Formatted string `json:"formatted_name"`
	First     string `json:"first_name,omitempty"`
	Last      string `json:"last_name,omitempty"`
}

// ContactPhone is a phone number of a contact; Type is one of cell, main,
// iphone, home, work (lower case as seven takes it).
type ContactPhone struct {
	Phone string `json:"phone"`
	Type  string `json:"type,omitempty"`
}

// Interactive is a reply-button or list message.
type Interactive struct {
	Type       string    `json:"type"` // "button" or "list"
	Header     string    `json:"header,omitempty"`
	Body       string    `json:"body"`
	Footer     string    `json:"footer,omitempty"`
	Buttons    []Button  `json:"buttons,omitempty"`     // button
	ButtonText string    `json:"button_text,omitempty"` // list
	Sections   []Section `json:"sections,omitempty"`    // list
}

// Button is a reply button.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Section is a titled group of list rows.
type Section struct {
	Title string `json:"title,omitempty"`
	Rows  []Row  `json:"rows"`
}

// Row is one choice of a list message.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// TemplateSend is a template message: which registered template, and the
// values for its placeholders, already checked against the template.
type TemplateSend struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	// HeaderFormat is the registered header's format (TEXT, IMAGE, VIDEO,
	// DOCUMENT, LOCATION) or empty when the template has no header.
	HeaderFormat string `json:"header_format,omitempty"`
	// Named is true for templates with named ({{first_name}}) parameters.
	Named   bool             `json:"named,omitempty"`
	Header  []TemplateParam  `json:"header,omitempty"`
	Body    []TemplateParam  `json:"body,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	// Rendered is the template text with the placeholders filled, as the
	// API shows it back.
	Rendered RenderedTemplate `json:"rendered"`
}

// TemplateParam is one placeholder value. For media headers Text holds the
// media URL, or FileID a file stored with POST /api/waba/media (sent as
// WhatsApp's media id, MetaID, which the dispatcher sets and nothing
// stores); a location header has Location. Name is set for named
// templates.
type TemplateParam struct {
	Type     string    `json:"type"` // text, image, video, document, location, payload
	Text     string    `json:"text,omitempty"`
	FileID   int64     `json:"file_id,omitempty"`
	MetaID   string    `json:"-"`
	Payload  string    `json:"payload,omitempty"`
	Name     string    `json:"name,omitempty"`
	Location *Location `json:"location,omitempty"`
}

// TemplateButton carries the parameters of one dynamic template button.
type TemplateButton struct {
	SubType    string          `json:"sub_type"` // url, quick_reply, copy_code
	Index      int             `json:"index"`
	Parameters []TemplateParam `json:"parameters"`
}

// RenderedTemplate is a template with its placeholders filled in. The field
// order is the order seven's API shows.
type RenderedTemplate struct {
	Header  string           `json:"header,omitempty"`
	Body    string           `json:"body"`
	Footer  string           `json:"footer,omitempty"`
	Buttons []RenderedButton `json:"buttons,omitempty"`
}

// RenderedButton is a template button as the user sees it.
type RenderedButton struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	URL   string `json:"url,omitempty"`
	Phone string `json:"phone_number,omitempty"`
}
