package openwaba

import (
	"context"
	"time"
)

// Store is the gateway's durable state. internal/store/sqlstore
// implements it on SQLite and PostgreSQL; internal/store/storetest is the
// conformance suite every implementation passes. Every method that takes an
// accountID only sees that account's rows: a foreign id is ErrNotFound.
type Store interface {
	AccountStore
	SenderStore
	TemplateStore
	MessageStore
	DispatchStore
	InboundStore
	HistoryStore
	ConsentStore
	ExportStore
	EraseStore
	HookStore
	OutboxStore
	TrackingStore
	PriceStore
	PricingRuleStore
	GuardStore
	StatsStore
	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	// Generation counts the changes to what a gateway may keep in memory
	// (internal/store/cached): API keys, accounts other than their
	// balance, senders, templates, prices and free rules. Every write of
	// those moves it in the same transaction, whichever process or node
	// made it; balances, last-used times and everything else do not.
	Generation(ctx context.Context) (int64, error)
	UserStore
	MediaStore
	Close() error
}

// AccountStore keeps accounts, their API keys and balances.
type AccountStore interface {
	CreateAccount(ctx context.Context, a Account) (Account, error)
	Account(ctx context.Context, id int64) (Account, error)
	Accounts(ctx context.Context) ([]Account, error)
	// SetAccountTimeZone sets the zone in which the account's delay dates
	// without a zone are read: an IANA name, or "" for UTC. A name
	// time.LoadLocation does not know is refused and changes nothing.
	SetAccountTimeZone(ctx context.Context, accountID int64, timeZone string) error
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error)
	// APIKeyByHash finds a key by the SHA-256 hash of its secret.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// APIKeys lists the account's keys by id, revoked and expired ones too.
	APIKeys(ctx context.Context, accountID int64) ([]APIKey, error)
	// RevokeAPIKey revokes a key of the account at time at; a key of
	// another account is ErrNotFound. Revoking twice keeps the first time.
	RevokeAPIKey(ctx context.Context, accountID, keyID int64, at time.Time) (APIKey, error)
	// TouchAPIKey sets the key's last-used time to at, if that is later.
	TouchAPIKey(ctx context.Context, keyID int64, at time.Time) error
	// SetSigningSecret sets the secret the account signs its requests
	// with; "" turns signing off.
	SetSigningSecret(ctx context.Context, accountID int64, secret string) error
	// Credit adds amount (which may be negative) to the balance with a
	// ledger entry and returns the new balance.
	Credit(ctx context.Context, accountID int64, amount Micros, reason string) (Micros, error)
	Ledger(ctx context.Context, accountID int64) ([]LedgerEntry, error)
}

// SenderStore keeps the sender numbers and the Meta ids they map to.
type SenderStore interface {
	PutSender(ctx context.Context, s Sender) error
	// Sender finds a number of the account; a number of another account is
	// ErrNotFound.
	Sender(ctx context.Context, accountID int64, number string) (Sender, error)
	SenderByPhoneNumberID(ctx context.Context, phoneNumberID string) (Sender, error)
	// Senders lists the senders of an account, or of all accounts for 0.
	Senders(ctx context.Context, accountID int64) ([]Sender, error)
	RemoveSender(ctx context.Context, number string) error
	// ApplyHealth applies Meta's report r to the senders it concerns (the
	// number r names, or every sender of r's WABA) by SenderHealth.Apply,
	// and for each sender whose health changed (SenderHealth.Same) puts a
	// number_quality event (a HealthChange) in the outbox of its
	// account's hooks, in one transaction. It returns the senders whose
	// health changed, as they are now; none when r concerns no sender of
	// ours.
	ApplyHealth(ctx context.Context, r HealthReport) ([]Sender, error)
}

// TemplateStore keeps the templates synced from Meta.
type TemplateStore interface {
	// ReplaceTemplates sets the account's templates to ts.
	ReplaceTemplates(ctx context.Context, accountID int64, ts []Template) error
	Template(ctx context.Context, accountID int64, name, language string) (Template, error)
	Templates(ctx context.Context, accountID int64) ([]Template, error)
	// ApplyTemplateReport applies Meta's report r to the template it names
	// (by Meta's id, or name and language) in every account with a sender
	// of r's WABA, by Template.Apply, and puts a template_status event (a
	// TemplateChange) in the outbox of those accounts' hooks, in one
	// transaction; an account without the template gets the event, and
	// the template at the next sync. It returns the templates it changed.
	ApplyTemplateReport(ctx context.Context, r TemplateReport) ([]Template, error)
	// PutTemplate stores one template of the account (created or edited
	// through the API), over the one of the same name and language.
	PutTemplate(ctx context.Context, t Template) error
	// DeleteTemplates removes the account's templates of name: in
	// language, or in every language for "". It returns how many it
	// removed; none is ErrNotFound.
	DeleteTemplates(ctx context.Context, accountID int64, name, language string) (int, error)
}

// AcceptResult is what Accept committed.
type AcceptResult struct {
	Messages []Message // with ID and Status set
	Balance  Micros    // the account's balance after the debit
}

// MessageStore keeps outbound messages and their status journal.
type MessageStore interface {
	// Accept stores the messages of one request, queues them for dispatch
	// and debits their total price, all in one transaction, or nothing with
	// ErrInsufficientBalance. It returns only once the commit is durable.
	Accept(ctx context.Context, accountID int64, msgs []Message) (AcceptResult, error)
	Message(ctx context.Context, accountID int64, id int64) (Message, error)
	// MessageByWAMID finds a message of the account by its WhatsApp id.
	MessageByWAMID(ctx context.Context, accountID int64, wamid string) (Message, error)
	StatusHistory(ctx context.Context, accountID int64, id int64) ([]StatusEvent, error)
	// Messages lists the account's messages that match f, newest first.
	Messages(ctx context.Context, accountID int64, f MessageFilter) ([]Message, error)
	// Cancel deletes a message that has not been handed to the dispatcher,
	// refunds it and ends it as deleted. A message that is being sent or was
	// sent is ErrAlreadySent.
	Cancel(ctx context.Context, accountID int64, id int64, now time.Time) (Message, error)
	// ApplyStatus records a status report from WhatsApp. It never moves a
	// message backwards. It settles the message by Charge: a report's
	// pricing sets what it costs (a ledger row for the difference), and a
	// failed message that was never delivered is refunded once. It
	// reports whether the message's status changed.
	ApplyStatus(ctx context.Context, u StatusUpdate) (bool, error)
	// ApplyStatuses is ApplyStatus for several reports (one webhook's),
	// applied in their order in one write, all or none: for each, whether
	// its message's status changed.
	ApplyStatuses(ctx context.Context, us []StatusUpdate) ([]bool, error)
}

// DispatchStore is the work queue of the dispatcher. Claims are leases: a
// message claimed by a process that died is claimed again once the lease
// has run out.
type DispatchStore interface {
	// ClaimDue leases up to limit messages due at now, oldest due first.
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// ClaimDueFor is ClaimDue for the messages of the given sender numbers
	// only: a node claims what it paces.
	ClaimDueFor(ctx context.Context, now time.Time, lease time.Duration, limit int, senders []string) ([]Message, error)
	// LeaseSenders shares the pacing of senders between gateway nodes: at
	// most one owner holds a sender at a time. It renews the leases owner
	// holds until now+ttl, takes at most one more sender that has due
	// messages and no live lease of another owner, and returns the senders
	// owner holds. A node that dies loses its senders when the lease ends.
	LeaseSenders(ctx context.Context, owner string, now time.Time, ttl time.Duration) ([]string, error)
	// ReleaseSenders gives up owner's leases, so that other nodes take the
	// senders over at once (a graceful shutdown).
	ReleaseSenders(ctx context.Context, owner string) error
	// RenewLeases extends to until the leases of the given claimed messages that are still queued; ids no longer in the queue are ignored.
	// A lease is never shortened, and a message put back with Retry (no
	// longer claimed) is not leased again: the claimer renews what it
	// holds while it works on it, so that a slow send or a record that
	// waits for the database is not claimed a second time.
	RenewLeases(ctx context.Context, ids []int64, until time.Time) error
	// NextDue returns the earliest due time of an unleased queued message.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// MarkSubmitted records that WhatsApp accepted a claimed message and
	// removes it from the queue.
	MarkSubmitted(ctx context.Context, id int64, wamid string, at time.Time) error
	// Retry puts a claimed message back in the queue, due at next.
	Retry(ctx context.Context, id int64, next time.Time, errCode int, errText string) error
	// Fail ends a claimed message as failed (or expired), removes it from
	// the queue and refunds it.
	Fail(ctx context.Context, id int64, status Status, errCode int, errText string, at time.Time) error
}

// InboundStore keeps what users wrote and the conversation windows it opens.
type InboundStore interface {
	// RecordInbound stores an inbound message from m.User (From is set
	// from it: see User.Key), links the user's ids (LinkUser), and opens
	// or refreshes the window for Sender and every id of the user. A
	// message seen before (same WAMID) is ignored and reported as
	// duplicate.
	RecordInbound(ctx context.Context, m InboundMessage) (duplicate bool, err error)
	// WindowOpenUntil returns when the window for (sender, user) closes,
	// user being any id of the user (number, BSUID, parent BSUID); the
	// zero time if there never was one.
	WindowOpenUntil(ctx context.Context, sender, user string) (time.Time, error)
	// LastInbound returns the newest message from user (any of their ids)
	// to sender.
	LastInbound(ctx context.Context, accountID int64, sender, user string) (InboundMessage, error)
	// InboundByWAMID finds an inbound message of the account.
	InboundByWAMID(ctx context.Context, accountID int64, wamid string) (InboundMessage, error)
	// InboundByID finds an inbound message of the account by its id.
	InboundByID(ctx context.Context, accountID, id int64) (InboundMessage, error)
}
