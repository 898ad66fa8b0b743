package openwaba

import "time"

// Status is where a message is in its life. Statuses only move forward
// (see Rank); the journal keeps every status that was reported.
type Status string

// Message statuses. accepted → (scheduled) → queued → (held for quality
// assessment → paused) → sent → delivered → read → played, or failed /
// expired / deleted.
const (
	StatusAccepted  Status = "accepted"
	StatusScheduled Status = "scheduled"
	StatusQueued    Status = "queued"
	// StatusHeld: WhatsApp took a marketing template but holds it while it
	// assesses the template's quality (template pacing); it is sent later,
	// or paused.
	StatusHeld Status = "held_for_quality_assessment"
	// StatusPaused: WhatsApp stopped a held message because the template's
	// pacing found it of low quality: it is not delivered and not charged.
	StatusPaused    Status = "paused"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	// StatusPlayed: the user played a voice (audio) message.
	StatusPlayed  Status = "played"
	StatusFailed  Status = "failed"
	StatusExpired Status = "expired"
	StatusDeleted Status = "deleted"
)

// Statuses are all statuses, in the order of their ranks.
func Statuses() []Status {
	return []Status{StatusAccepted, StatusScheduled, StatusQueued, StatusHeld, StatusPaused, StatusSent,
		StatusFailed, StatusDelivered, StatusRead, StatusPlayed, StatusExpired, StatusDeleted}
}

// Rank orders statuses so that a late or repeated report never moves a
// message backwards.
//
//   - held_for_quality_assessment and paused rank after queued and before
//     sent: WhatsApp holds a paced marketing template after it took it
//     (the dispatcher's work is done) and before it sends it; paused ends
//     the hold without sending. Should WhatsApp report sent after all, the
//     message moves on, as a report of what happened later.
//   - failed ranks below delivered: a delivery report is proof the message
//     arrived, whatever order Meta's webhooks came in.
//   - played ranks after read: a voice message is played once it is open.
//   - expired and deleted happen only before the message reaches WhatsApp
//     and end it for good.
//
// The ranks are stored with each message (status_rank) and compared in
// SQL: changing them needs a migration that rewrites the stored ones
// (00009 did, when held, paused and played got theirs).
func (s Status) Rank() int {
	switch s {
	case StatusAccepted:
		return 0
	case StatusScheduled:
		return 1
	case StatusQueued:
		return 2
	case StatusHeld:
		return 3
	case StatusPaused:
		return 4
	case StatusSent:
		return 5
	case StatusFailed:
		return 6
	case StatusDelivered:
		return 7
	case StatusRead:
		return 8
	case StatusPlayed:
		return 9
	case StatusExpired, StatusDeleted:
		return 20
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
	Status    Status // held_for_quality_assessment, paused, sent, delivered, read, played or failed
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

// Submission is WhatsApp's answer to a send it accepted: the message's
// WhatsApp id, and the message_status Meta gave it when that is more than
// "accepted" (held_for_quality_assessment or paused), else empty.
type Submission struct {
	WAMID  string
	Status Status
}

// SubmissionStatus maps the message_status of Meta's send response:
// accepted (or none) is "", the others are statuses of their own.
func SubmissionStatus(messageStatus string) Status {
	switch messageStatus {
	case string(StatusHeld):
		return StatusHeld
	case string(StatusPaused):
		return StatusPaused
	}
	return ""
}
