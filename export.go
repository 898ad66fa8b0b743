package openwaba

import (
	"context"
	"time"
)

// ExportRow is one message of an export, either way: what
// GET /api/waba/export writes as a CSV line or an NDJSON object.
type ExportRow struct {
	Direction string    // "out" (sent by the account) or "in" (written by a user)
	ID        int64     // the message's id (outbound and inbound ids are separate)
	At        time.Time // accepted (out) or WhatsApp's timestamp (in)
	Sender    string    // our number
	User      string    // the recipient (out) or the user's key (in)
	UserID    string    // the user's BSUID, when known
	Type      string
	Text      string
	Status    string // the outbound message's current status; "" for inbound
	Price     Micros // what the outbound message costs now
	Label     string
	ForeignID string
	WAMID     string
}

// ExportColumns are the export's fields in order, as the CSV header names
// them.
var ExportColumns = []string{"direction", "id", "time", "sender", "user", "user_id", "type", "text", "status", "price", "label", "foreign_id", "wamid"}

// ExportStore streams an account's messages.
type ExportStore interface {
	// Export calls fn with every message of the account, in and out, at
	// or after from and before to (zero: unbounded), ordered by time,
	// then outbound before inbound, then id. Rows come from the database
	// cursor one at a time, never collected: an export of any size takes
	// the memory of one row. An error of fn stops it and is returned.
	Export(ctx context.Context, accountID int64, from, to time.Time, fn func(ExportRow) error) error
}
