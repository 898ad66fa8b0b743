package openwaba

import (
	"context"
	"time"
)

// Erasure is what EraseUser removed: everything the account held about
// one user (a GDPR erasure request). Ledger rows stay, they are the
// account's money: they keep their amounts and reasons and lose the
// message they were for (LedgerEntry.MessageID becomes zero), so the
// balance still equals their sum.
type Erasure struct {
	User       User // the ids erased
	Messages   int  // outbound messages, with their statuses, queue rows, links and clicks
	Inbound    int  // messages the user wrote
	Windows    int
	Identities int // the linked ids (wa_users)
	Suppressed int // suppression list entries: the user is no longer on the list
	Deliveries int // webhook deliveries about them, pending or dead
	Replays    int // stored answers of idempotent requests that named them
	Ledger     int // ledger rows that lost their message
}

// EraseStore erases users.
type EraseStore interface {
	// EraseUser deletes, in one transaction, every row of the account
	// about the user one of whose ids is user (linked in any of the
	// account's WABAs): outbound messages to any of their ids and all
	// that hangs on them, what they wrote, their windows with the
	// account's numbers, their identities, suppression entries, webhook
	// deliveries and idempotency replays naming them; ledger rows are
	// kept without their message. A user the store does not know erases
	// nothing and is no error.
	EraseUser(ctx context.Context, accountID int64, user string, at time.Time) (Erasure, error)
}
