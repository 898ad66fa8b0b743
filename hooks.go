package openwaba

import (
	"context"
	"strconv"
	"time"
)

// HookEvent is what a customer's webhook subscribes to (seven's
// event_type) and, except for HookAll, what one delivery reports.
type HookEvent string

const (
	HookAll      HookEvent = "all"       // every event below
	HookDLR      HookEvent = "dlr"       // status reports in seven's terms
	HookWAMO     HookEvent = "wa_mo"     // inbound WhatsApp messages
	HookWAStatus HookEvent = "wa_status" // every WhatsApp status
	HookTracking HookEvent = "tracking"  // link clicks
	// HookNumberQuality: Meta reported a change of a sender number's
	// health (quality rating, messaging limit, restrictions, ban).
	HookNumberQuality HookEvent = "number_quality"
	// HookTemplateStatus: Meta changed a template's status, category or
	// quality.
	HookTemplateStatus HookEvent = "template_status"
	// HookOptOut and HookOptIn: a user went on or off the account's
	// suppression list (consent.go).
	HookOptOut HookEvent = "opt_out"
	HookOptIn  HookEvent = "opt_in"
)

// HookEventTypes are the events a hook may subscribe to, HookAll first.
func HookEventTypes() []HookEvent {
	return []HookEvent{HookAll, HookDLR, HookWAMO, HookWAStatus, HookTracking, HookNumberQuality, HookTemplateStatus, HookOptOut, HookOptIn}
}

// Covers reports whether a hook subscribed to h receives events of type e.
func (h HookEvent) Covers(e HookEvent) bool { return h == e || h == HookAll }

// HookEvents are the webhook events an outbound message reaching status s
// produces: every WhatsApp status is a wa_status event; the ones seven
// reports as a status report (DLR) are dlr events too: sent
// (TRANSMITTED), held_for_quality_assessment (BUFFERED: the network keeps
// it for later), delivered, paused and failed (NOTDELIVERED or REJECTED),
// expired. read and played say more about a delivered message and deleted
// about one never sent; seven's status reports have no value for them.
// Every store enqueues exactly these.
func (s Status) HookEvents() []HookEvent {
	switch s {
	case StatusSent, StatusHeld, StatusPaused, StatusDelivered, StatusFailed, StatusExpired:
		return []HookEvent{HookDLR, HookWAStatus}
	case StatusRead, StatusPlayed, StatusDeleted:
		return []HookEvent{HookWAStatus}
	}
	return nil
}

// MessageOrderKey and ConversationOrderKey name the outbox orders: per
// hook, the deliveries with one key go out one after the other. A
// message's events share one; so do a conversation's inbound messages.
func MessageOrderKey(messageID int64) string { return "m" + strconv.FormatInt(messageID, 10) }

// ConversationOrderKey is the order of the inbound messages from user to
// one of our sender numbers.
func ConversationOrderKey(sender, user string) string { return "c" + sender + ":" + user }

// Hook is a customer's webhook subscription.
type Hook struct {
	ID            int64
	AccountID     int64
	TargetURL     string
	EventType     HookEvent
	RequestMethod string // JSON, POST or GET
	// EventFilter, when set, limits the hook to events of that sender
	// number (the business number a message was sent from or to).
	EventFilter string
	Headers     string // extra request headers, "Name: value" one a line
	CreatedAt   time.Time
}

// DeliveryState is where a webhook delivery stands.
type DeliveryState string

const (
	DeliveryPending DeliveryState = "pending"
	DeliveryDead    DeliveryState = "dead" // given up; listed and replayable
)

// Delivery is one event on its way to one hook: a row of the outbox,
// written in the transaction of the change it reports. It holds the facts;
// the webhook package renders the payload from them. Delivered rows are
// deleted.
type Delivery struct {
	ID        int64
	Hook      Hook
	Event     HookEvent // dlr, wa_status, wa_mo, tracking, number_quality, template_status, opt_out or opt_in
	MessageID int64     // the outbound message of dlr and wa_status events
	InboundID int64     // the inbound message of wa_mo events
	ClickID   int64     // the click of tracking events
	Status    Status    // dlr and wa_status: the status reported
	StatusAt  time.Time
	ErrorCode int
	ErrorText string
	// Data is the payload's data object for events whose facts are not in
	// a table (tracking), as JSON; for number_quality a HealthChange and
	// for template_status a TemplateChange, as JSON.
	Data      []byte
	CreatedAt time.Time
	Attempts  int
	LastError string
	State     DeliveryState
	// Message is the message of a dlr or wa_status event as the claim read
	// it, so that a delivery costs no read of its own (nil: not read).
	Message *Message
}

// HookStore keeps the customers' webhook subscriptions.
type HookStore interface {
	CreateHook(ctx context.Context, h Hook) (Hook, error)
	// Hooks lists an account's hooks, oldest first.
	Hooks(ctx context.Context, accountID int64) ([]Hook, error)
	// DeleteHook removes a hook and its pending deliveries; a hook of
	// another account is ErrNotFound.
	DeleteHook(ctx context.Context, accountID, id int64) error
}

// OutboxStore is the webhook outbox. Status changes and inbound messages
// put their deliveries in it in their own transaction; the webhook
// deliverer claims them with a lease, as the dispatcher claims messages.
type OutboxStore interface {
	// ClaimDeliveries leases up to limit pending deliveries due at now.
	// Of the pending deliveries of one hook about one message (or one
	// conversation), only the oldest is ever claimable, so they arrive in
	// order.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// NextDelivery returns a time no later than when ClaimDeliveries will
	// next find something (a delivery waiting behind an older one of its
	// order may make it earlier); false when the outbox has nothing pending.
	NextDelivery(ctx context.Context) (time.Time, bool, error)
	// DeliveryDone removes a delivered delivery.
	DeliveryDone(ctx context.Context, id int64) error
	// RetryDelivery makes a claimed delivery due again at next.
	RetryDelivery(ctx context.Context, id int64, next time.Time, lastError string) error
	// KillDelivery gives a delivery up: it stays, dead, until replayed.
	KillDelivery(ctx context.Context, id int64, lastError string) error
	// DeadDeliveries lists an account's dead deliveries (0: every
	// account's), oldest first.
	DeadDeliveries(ctx context.Context, accountID int64) ([]Delivery, error)
	// ReplayDelivery makes a dead delivery of the account (0: any) pending
	// and due at now, with its attempts counted from zero.
	ReplayDelivery(ctx context.Context, accountID, id int64, now time.Time) error
	// EnqueueEvent puts an event that is not a message status or an
	// inbound message (a click) in the outbox of every matching hook of
	// the account.
	EnqueueEvent(ctx context.Context, accountID int64, event HookEvent, sender string, messageID int64, data []byte, at time.Time) error
}
