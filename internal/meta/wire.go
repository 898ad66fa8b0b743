package meta

// Outbound wire shapes of POST /{phone-number-id}/messages. They mirror
// Meta's JSON exactly; openwaba.Content stays independent of them.

type outMessage struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type,omitempty"`
	To               string `json:"to,omitempty"`
	// Recipient is a BSUID or parent BSUID, for users Meta names only so
	// (usernames, 2026); a send has either To or Recipient.
	Recipient string `json:"recipient,omitempty"`
	Type      string `json:"type,omitempty"`

	Text        *outText        `json:"text,omitempty"`
	Image       *outMedia       `json:"image,omitempty"`
	Video       *outMedia       `json:"video,omitempty"`
	Audio       *outMedia       `json:"audio,omitempty"`
	Document    *outMedia       `json:"document,omitempty"`
	Sticker     *outMedia       `json:"sticker,omitempty"`
	Location    *outLocation    `json:"location,omitempty"`
	Contacts    []outContact    `json:"contacts,omitempty"`
	Interactive *outInteractive `json:"interactive,omitempty"`
	Template    *outTemplate    `json:"template,omitempty"`
	Reaction    *outReaction    `json:"reaction,omitempty"`

	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`

	// Mark as read / typing indicator.
	Status          string           `json:"status,omitempty"`
	MessageID       string           `json:"message_id,omitempty"`
	TypingIndicator *typingIndicator `json:"typing_indicator,omitempty"`
}

type outText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url"`
}

type outMedia struct {
	ID       string `json:"id,omitempty"` // an uploaded file's (exactly one of id and link)
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// outLocation sends coordinates as decimal strings: Meta's OpenAPI
// schema types them as strings (the Cloud API takes numbers as well).
type outLocation struct {
	Latitude  string `json:"latitude"`
	Longitude string `json:"longitude"`
	Name      string `json:"name,omitempty"`
	Address   string `json:"address,omitempty"`
}

type outContact struct {
	Name   outContactName    `json:"name"`
	Phones []outContactPhone `json:"phones,omitempty"`
}

type outContactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
}

type outContactPhone struct {
	Phone string `json:"phone"`
	Type  string `json:"type,omitempty"`
}

type outInteractive struct {
	Type   string      `json:"type"`
	Header *outHeader  `json:"header,omitempty"`
	Body   outTextObj  `json:"body"`
	Footer *outTextObj `json:"footer,omitempty"`
	Action outAction   `json:"action"`
}

type outHeader struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type outTextObj struct {
	Text string `json:"text"`
}

type outAction struct {
	Buttons  []outButton  `json:"buttons,omitempty"`
	Button   string       `json:"button,omitempty"`
	Sections []outSection `json:"sections,omitempty"`
}

type outButton struct {
	Type  string   `json:"type"`
	Reply outReply `json:"reply"`
}

type outReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type outSection struct {
	Title string   `json:"title,omitempty"`
	Rows  []outRow `json:"rows"`
}

type outRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type outTemplate struct {
	Name       string         `json:"name"`
	Language   outLanguage    `json:"language"`
	Components []outComponent `json:"components,omitempty"`
}

// outLanguage always names the policy: deterministic is the only one
// Meta has, and its OpenAPI schema requires it.
type outLanguage struct {
	Code   string `json:"code"`
	Policy string `json:"policy"`
}

type outComponent struct {
	Type       string     `json:"type"`
	SubType    string     `json:"sub_type,omitempty"`
	Index      string     `json:"index,omitempty"`
	Parameters []outParam `json:"parameters"`
}

type outParam struct {
	Type          string       `json:"type"`
	ParameterName string       `json:"parameter_name,omitempty"`
	Text          string       `json:"text,omitempty"`
	Payload       string       `json:"payload,omitempty"`
	CouponCode    string       `json:"coupon_code,omitempty"`
	Image         *outLink     `json:"image,omitempty"`
	Video         *outLink     `json:"video,omitempty"`
	Document      *outLink     `json:"document,omitempty"`
	Location      *outLocation `json:"location,omitempty"`
}

// outLink is a template header's media: a link, or an uploaded file's id.
type outLink struct {
	ID   string `json:"id,omitempty"`
	Link string `json:"link,omitempty"`
}

type outReaction struct {
	MessageID string `json:"message_id"`
	// Emoji is never omitted: an empty emoji is how a reaction is removed.
	Emoji string `json:"emoji"`
}

type typingIndicator struct {
	Type string `json:"type"`
}

// sendResponse is Meta's answer to a successful send.
type sendResponse struct {
	Contacts []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
	} `json:"messages"`
}

// successResponse is Meta's answer to mark-as-read.
type successResponse struct {
	Success bool `json:"success"`
}
