package openwaba

import "time"

// Status is where a message is in its life. Statuses only move forward
// (see Rank); the journal keeps every status that was reported.
type Status string

// Message statuses. accepted → (scheduled) → queued → sent → delivered →
// read, or failed / expired / deleted.
const (
	StatusAccepted  Status = "accepted"
	StatusScheduled Status = "scheduled"
	StatusQueued    Status = "queued"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	StatusFailed    Status = "failed"
	StatusExpired   Status = "expired"
	StatusDeleted   Status = "deleted"
)

// Rank orders statuses so that a late or repeated report never moves a
// message backwards. failed ranks below delivered: a delivery report is
// proof the message arrived, whatever order Meta's webhooks came in.
// expired and deleted happen only before the message reaches WhatsApp and
// end it for good.
func (s Status) Rank() int {
	switch s {
	case StatusAccepted:
		return 0
	case StatusScheduled:
		return 1
	case StatusQueued:
		return 2
	case StatusSent:
		return 3
	case StatusFailed:
		return 4
	case StatusDelivered:
		return 5
	case StatusRead:
		return 6
	case StatusExpired, StatusDeleted:
		return 9
	}
	return -1
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s.Rank() >= 0 }

// StatusEvent is one entry of a message's status journal.
type StatusEvent struct {
	MessageID int64
	Status    Status
	At        time.Time
	ErrorCode int
	ErrorText string
}

// StatusUpdate is a status report from WhatsApp about a message it knows by
// its WhatsApp id (wamid).
type StatusUpdate struct {
	WAMID     string
	Status    Status // sent, delivered, read or failed
	At        time.Time
	Recipient string
	// User is what the report says of the recipient: recipient_user_id,
	// and from the notification's contacts their number and username.
	User         User
	CallbackData string // biz_opaque_callback_data echoed by Meta
	// Pricing is the report's pricing object (sent and delivered reports
	// have one); nil when it had none.
	Pricing   *Pricing
	ErrorCode int
	ErrorText string
}
