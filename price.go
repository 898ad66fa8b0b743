package openwaba

import (
	"context"
	"time"
)

// Price is one row of the price table: what a message of Category to a
// recipient whose number starts with Prefix costs, in Currency. Prefix is
// the calling code (and optionally more digits: "1" for NANP, "1242" for
// the Bahamas); "" is the currency's default row. The longest matching
// prefix wins.
type Price struct {
	Currency  string
	Prefix    string
	Category  PriceCategory
	Amount    Micros
	UpdatedAt time.Time
}

// PriceStore keeps the price table.
type PriceStore interface {
	// SetPrice creates or replaces the row (Currency, Prefix, Category).
	SetPrice(ctx context.Context, p Price) error
	// DeletePrice removes a row; an unknown row is ErrNotFound.
	DeletePrice(ctx context.Context, currency, prefix string, category PriceCategory) error
	// Prices lists the rows of currency ("" for all) by currency,
	// prefix and category.
	Prices(ctx context.Context, currency string) ([]Price, error)
}

// IdempotencyRecord is what the store keeps for an Idempotency-Key: the
// fingerprint of the first request and, once it finished, its response.
type IdempotencyRecord struct {
	AccountID   int64
	Key         string
	RequestHash []byte
	Status      int // HTTP status; 0 while the first request is running
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Done reports whether the first request has finished.
func (r IdempotencyRecord) Done() bool { return r.Status != 0 }

// GuardStore keeps the durable records that protect against replayed and
// repeated requests. Several gateways sharing one database see the same
// records.
type GuardStore interface {
	// UseNonce records a signed request's nonce for the account, to be
	// remembered until expires. A nonce still remembered is ErrConflict.
	// Nonces that expired before now are forgotten.
	UseNonce(ctx context.Context, accountID int64, nonce string, now, expires time.Time) error
	// BeginIdempotent stores r as running unless the account has an
	// unexpired record with r.Key (expired records are replaced). It
	// returns the record in force and whether it is r, just stored.
	BeginIdempotent(ctx context.Context, r IdempotencyRecord, now time.Time) (IdempotencyRecord, bool, error)
	// FinishIdempotent stores the response of a running record.
	FinishIdempotent(ctx context.Context, accountID int64, key string, status int, body []byte) error
	// AbandonIdempotent removes a running record whose request failed
	// without an answer worth repeating, so that the key may be used
	// again.
	AbandonIdempotent(ctx context.Context, accountID int64, key string) error
	// IdempotencyRecord returns the account's record for key.
	IdempotencyRecord(ctx context.Context, accountID int64, key string) (IdempotencyRecord, error)
}
