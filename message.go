package openwaba

import "time"

// PriceCategory is what a message is charged as: the template's category,
// or service for everything that is not a template.
type PriceCategory string

// Price categories, as Meta names them.
const (
	CategoryMarketing      PriceCategory = "marketing"
	CategoryUtility        PriceCategory = "utility"
	CategoryAuthentication PriceCategory = "authentication"
	CategoryService        PriceCategory = "service"
)

// DefaultTTL is the validity of a message when the request gives none:
// 2880 minutes (48 hours), as seven documents.
const DefaultTTL = 2880 * time.Minute

// Message is one outbound WhatsApp message to one recipient.
type Message struct {
	ID        int64
	AccountID int64
	Sender    string
	// Recipient is who the message was sent to, as the request named
	// them: a phone number, or a BSUID (sent to Meta as recipient).
	Recipient string
	// User is what WhatsApp's status reports said of the recipient: their
	// BSUID (recipient_user_id) and username, and their number when the
	// message went to a BSUID and Meta shares it.
	User    User
	Content Content
	// Text is the text shown back by the API: the message text, or for
	// other types a JSON description (for templates with rendered text).
	Text     string
	Encoding string // gsm or ucs2
	Category PriceCategory
	// Price is what the message was charged at accept: its list price,
	// or nothing when a free rule applied (FreeRule).
	Price Micros
	// ListPrice is the price of its category to its recipient's country,
	// before free rules: what Meta charges if it bills the message.
	ListPrice Micros
	// Charge is what the message costs now: Price until WhatsApp's
	// reports settle it (Charge), then the settled price. Settled says
	// whether they did, or the message was refunded.
	Charge  Micros
	Settled bool
	// Pricing is what WhatsApp's status reports said of the price; nil
	// until one did.
	Pricing *Pricing

	Label               string
	ForeignID           string
	PerformanceTracking bool
	TTL                 time.Duration

	CreatedAt   time.Time
	ScheduledAt time.Time // when it is due; CreatedAt unless delayed
	ExpiresAt   time.Time // ScheduledAt + TTL

	Status    Status
	StatusAt  time.Time
	WAMID     string
	ErrorCode int
	ErrorText string
	Attempts  int
	Refunded  bool

	// Links are the short links made for the message's URLs (performance
	// tracking); Accept stores them with the message.
	Links []Link
}

// Pending reports whether the message has not reached WhatsApp yet.
func (m Message) Pending() bool {
	return m.WAMID == "" && m.Status.Rank() <= StatusQueued.Rank()
}

// InboundMessage is a message a WhatsApp user sent to one of our numbers.
type InboundMessage struct {
	ID        int64
	AccountID int64
	Sender    string // our number the user wrote to
	// From is the user: their number, or their BSUID when Meta withholds
	// the number (User.Key). The store sets it from User.
	From string
	// User is who wrote, as Meta named them (wa_id, BSUID, parent BSUID,
	// username), completed by the store with the ids it linked before.
	User        User
	WAMID       string
	Type        string // text, image, ..., reaction, button, interactive, system, unsupported
	Text        string // text body, caption, button text or reply title, when there is one
	Payload     []byte // the message object as Meta sent it (JSON)
	ProfileName string
	SentAt      time.Time // Meta's timestamp
	ReceivedAt  time.Time
	// Media is the file the message carries (image, video, audio,
	// document, sticker), as WhatsApp named it; nil for other types.
	// RecordInbound queues its download, and the wa_mo webhook waits for
	// it: MediaFileID is the stored file once downloaded, MediaError why
	// it could not be.
	Media       *MediaRef
	MediaFileID int64
	MediaError  string
}

// Time is when the user wrote: WhatsApp's timestamp, or when the gateway
// received the message if Meta gave none.
func (m InboundMessage) Time() time.Time {
	if m.SentAt.IsZero() {
		return m.ReceivedAt
	}
	return m.SentAt
}

// ConversationWindow is how long a user's message keeps the customer
// service window open: 24 hours.
const ConversationWindow = 24 * time.Hour

// MessageFilter selects an account's messages for listing. Zero fields do
// not filter. Results come newest first; Before pages: only messages with
// a smaller id.
type MessageFilter struct {
	ForeignID string
	Label     string
	// Recipient is any id of the user the messages went to: the phone
	// number or BSUID the request named, or one the status reports named
	// (Message.User), and every id linked to it in any of the account's
	// WABAs.
	Recipient string
	Sender    string    // our number the messages were sent from
	Template  string    // the template's name
	Status    Status    // the message's current status
	Statuses  []Status  // the message's current status is one of these
	From, To  time.Time // created at or after From, before To
	Before    int64
	Limit     int
	Offset    int // skip this many first (seven's journal pages by offset)
}
