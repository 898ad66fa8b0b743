// Package webhook delivers the customers' webhooks: status reports,
// inbound messages and clicks, from the store's outbox to the target URLs
// of their hooks, signed as seven signs them, retried with backoff for
// about three and a half days, then dead-lettered for replay.
package webhook

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/queue"
)

// Store is what the deliverer needs of the gateway's store.
type Store interface {
	openwaba.OutboxStore
	Message(ctx context.Context, accountID, id int64) (openwaba.Message, error)
	InboundByID(ctx context.Context, accountID, id int64) (openwaba.InboundMessage, error)
	ClickByID(ctx context.Context, accountID, id int64) (openwaba.Click, error)
	Media(ctx context.Context, accountID, id int64) (openwaba.MediaFile, error)
}

// Config holds the deliverer's collaborators and settings; zero values get
// the defaults named beside each field.
type Config struct {
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// Client sends the webhooks. Default: NewClient(Timeout, AllowPrivate)
	// keeping Workers connections per receiver.
	Client *http.Client
	// Timeout bounds one attempt (5 s).
	Timeout time.Duration
	// AllowPrivate lets webhooks go to loopback and private addresses;
	// off by default so that a hook cannot reach the gateway's own network.
	AllowPrivate bool
	// Secret returns the signing secret of an account; "" sends the
	// account's webhooks unsigned. Nil: unsigned.
	Secret func(ctx context.Context, accountID int64) (string, error)
	// Refresh, when set, is called before each claim: Secret may answer
	// from a cache (cached.Reads) that Refresh brings up to date, so that
	// a new secret signs every delivery claimed after it was set.
	Refresh func(ctx context.Context) error
	// Retries are the waits before each retry; after the last, a delivery
	// is dead (DefaultRetries: about 3.5 days in all).
	Retries []time.Duration
	// Workers is how many deliveries may be in flight at once
	// (DefaultWorkers).
	Workers int
	// Lease is how long a claimed delivery is ours (1 minute); it must
	// outlast one attempt.
	Lease time.Duration
	// Poll is the longest the deliverer sleeps without being woken (1 s).
	Poll time.Duration
	// UserAgent is sent with every webhook ("openwaba").
	UserAgent string
	// LinkURL is the public URL of a short link's code, for tracking
	// events' tracking_url ("/s/" + code when nil).
	LinkURL func(code string) string
	// Metrics counts the attempts by outcome (nil: none).
	Metrics Metrics
	// MediaURL signs the media_url of a wa_mo's file (media.Signer.URL);
	// nil sends none.
	MediaURL func(ctx context.Context, accountID, fileID int64, now time.Time) (string, error)
	// HoldAfter is how many failed attempts in a row make a receiver's
	// webhooks held back (circuits; 5); negative: never.
	HoldAfter int
	// Hold is the first pause of a held-back receiver before a probe (10
	// s); each failed probe doubles it, up to MaxHold (5 minutes, or Hold
	// if longer).
	Hold, MaxHold time.Duration
}

// DefaultWorkers is how many deliveries a deliverer has in flight. Each
// waits for the receiver and then for the durable record of its outcome,
// so the rate is about DefaultWorkers ÷ (the receiver's latency + a
// commit): 128 keep a receiver answering in 50 ms at some 2,500 webhooks
// a second. A message's events go one after the other whatever the count
// (the outbox's order keys).
const DefaultWorkers = 128

// maxClaim bounds one claim of deliveries.
const maxClaim = 256

// Deliverer sends the outbox's deliveries.
type Deliverer struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	wake     chan struct{}
	circuits *circuits // nil: HoldAfter < 0
}

// New returns a deliverer; call Run to start it.
func New(cfg Config) *Deliverer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Client == nil {
		cfg.Client = newClient(cfg.Timeout, cfg.AllowPrivate, cfg.Workers)
	}
	if cfg.Retries == nil {
		cfg.Retries = DefaultRetries
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.LinkURL == nil {
		cfg.LinkURL = func(code string) string { return "/s/" + code }
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "openwaba"
	}
	if cfg.HoldAfter == 0 {
		cfg.HoldAfter = 5
	}
	if cfg.Hold <= 0 {
		cfg.Hold = 10 * time.Second
	}
	if cfg.MaxHold <= 0 {
		cfg.MaxHold = 5 * time.Minute
	}
	d := &Deliverer{cfg: cfg, log: cfg.Logger, now: cfg.Now, wake: make(chan struct{}, 1)}
	if cfg.HoldAfter > 0 {
		d.circuits = newCircuits(cfg.HoldAfter, cfg.Hold, cfg.MaxHold)
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

// HeldUntil reports whether this node holds back the webhooks of hook
// (at target, its target_url) because its receiver failed its last
// attempts, and when it next sends one as a probe (circuits).
func (d *Deliverer) HeldUntil(hook int64, target string) (time.Time, bool) {
	if d.circuits == nil {
		return time.Time{}, false
	}
	return d.circuits.heldUntil(hook, target)
}

// Notify wakes the deliverer: something may have been put in the outbox.
// It never blocks.
func (d *Deliverer) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled, then lets the attempts in flight
// finish and returns. Claimed deliveries not attempted stay leased and are
// taken up again when the lease ends.
func (d *Deliverer) Run(ctx context.Context) error {
	queue.Loop[openwaba.Delivery]{
		Name: "webhook deliveries",
		Next: d.cfg.Store.NextDelivery,
		Claim: func(ctx context.Context, now time.Time, limit int) ([]openwaba.Delivery, error) {
			if d.cfg.Refresh != nil {
				if err := d.cfg.Refresh(ctx); err != nil {
					return nil, err
				}
			}
			return d.cfg.Store.ClaimDeliveries(ctx, now, d.cfg.Lease, limit)
		},
		Process: d.attempt,
		Workers: d.cfg.Workers, Batch: min(d.cfg.Workers*4, maxClaim), Poll: d.cfg.Poll,
		Now: d.now, Wake: d.wake, Log: d.log,
	}.Run(ctx)
	return nil
}
