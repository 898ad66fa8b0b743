// Package dispatch hands queued messages to WhatsApp: it claims due
// messages from the store, paces them per sender, sends them through the
// upstream, and records the outcome (submitted, retried, failed, expired).
package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/queue"
)

// Config holds the dispatcher's collaborators and settings; zero values
// get the defaults named beside each field.
type Config struct {
	Store openwaba.Store
	// Reads serves the sender and template looked up for every message
	// from memory (cached.Reads); the dispatcher refreshes it before each
	// claim, so a message sees the sender and template as they were when
	// it was claimed, or later. Nil: the Store's, read per message.
	Reads    Reads
	Upstream openwaba.Upstream
	// FetchMedia fetches a media message's URL once into a stored file of
	// the account (media.Fetch, through the SSRF guard), for accounts in
	// media mode auto whose link WhatsApp could not fetch (131053); nil:
	// such messages fail as WhatsApp answered.
	FetchMedia func(ctx context.Context, accountID int64, url string) (int64, error)
	Logger     *slog.Logger
	Now        func() time.Time
	// MaxInFlight is how many claimed messages the dispatcher works on at
	// once, all senders together: being paced, sent or recorded
	// (DefaultMaxInFlight). Each sender's share is sized by its pace and
	// the observed latency (see lanes), up to MaxInFlightPerSender.
	MaxInFlight int
	// MaxInFlightPerSender bounds one sender's sends in flight
	// (DefaultMaxInFlightPerSender): enough for WhatsApp's highest
	// standard pace, 1,000/s, at a 500 ms round trip (340 ms with the
	// lane's headroom).
	MaxInFlightPerSender int
	// Lease is how long a claimed message is ours before another
	// dispatcher may take it over (2 minutes). It is renewed every third
	// of itself for as long as the message is ours (being paced, sent, or
	// its outcome recorded), so it need not outlast a send: it is how
	// soon the messages of a node that died are taken over.
	Lease time.Duration
	// Batch is the most messages one claim takes (DefaultBatch, and never
	// more than MaxInFlight): the workers can start them all once each has
	// finished what it is doing, so a claimed message does not wait long
	// for a worker.
	Batch int
	// Poll is the longest the dispatcher sleeps without being woken (1 s),
	// which bounds how late a scheduled message can be.
	Poll time.Duration
	// Backoff governs retries of temporary upstream errors.
	Backoff Backoff
	// DefaultMPS is a sender's pace when its own is not set (80/s).
	DefaultMPS int
	// SenderPause is how long a sender rests after WhatsApp refused its
	// access token (1 minute).
	SenderPause time.Duration
	// HealthRecheck is how long a message held back by its number's
	// health (openwaba.SenderHealth.Gate: a RED quality rating holds
	// marketing templates) waits before it is looked at again
	// (openwaba.DefaultHealthRecheck, 15 minutes).
	HealthRecheck time.Duration
	// Node, when set, makes the dispatcher share senders with the other
	// nodes on the database: it claims only the messages of senders whose
	// lease it holds (Store.LeaseSenders), so each sender is paced by one
	// node at a time. Empty: the only node, every sender is its own.
	Node string
	// SenderLease is how long a node holds a sender without renewing it
	// (15 s): how soon a dead node's senders move.
	SenderLease time.Duration
	// RecordGrace is how long, once the dispatcher is stopped, it goes on
	// trying to record an outcome the store refused, typically that
	// WhatsApp took a message (15 s). Run returns only then; what is still
	// unrecorded is logged with its wamid, and goes out again when its
	// lease ends. The sends in flight (at most the HTTP client's timeout)
	// and this grace should fit in the shutdown timeout.
	RecordGrace time.Duration
	// Metrics counts sends, pacing waits and sender leases (nil: none).
	Metrics Metrics
}

// Reads is what the dispatcher looks up for every message it sends.
type Reads interface {
	// Refresh brings what the lookups answer up to the store's state.
	Refresh(ctx context.Context) error
	Sender(ctx context.Context, accountID int64, number string) (openwaba.Sender, error)
	Template(ctx context.Context, accountID int64, name, language string) (openwaba.Template, error)
}

// storeReads is Reads straight from the store.
type storeReads struct{ openwaba.Store }

func (storeReads) Refresh(context.Context) error { return nil }

// Defaults of Config; the gateway's flags document them too.
const (
	DefaultMaxInFlight          = 1024
	DefaultMaxInFlightPerSender = 512
	DefaultBatch                = 256
)

// Dispatcher moves messages from the queue to WhatsApp.
type Dispatcher struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	wake   chan struct{}
	pacer  *pacer
	paused sync.Map // sender number → time.Time until which it rests
	held   *held    // claimed and not finished: their leases are renewed
	lanes  *lanes   // each sender's sends in flight
	// uploads makes concurrent messages with the same file upload it
	// once (withMedia).
	uploads singleflight.Group
}

// New returns a dispatcher; call Run to start it.
func New(cfg Config) *Dispatcher {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxInFlightPerSender <= 0 {
		cfg.MaxInFlightPerSender = DefaultMaxInFlightPerSender
	}
	cfg.MaxInFlightPerSender = min(cfg.MaxInFlightPerSender, cfg.MaxInFlight)
	if cfg.Reads == nil {
		cfg.Reads = storeReads{cfg.Store}
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	cfg.Batch = min(cfg.Batch, cfg.MaxInFlight)
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.DefaultMPS <= 0 {
		cfg.DefaultMPS = openwaba.DefaultMPS
	}
	if cfg.SenderPause <= 0 {
		cfg.SenderPause = time.Minute
	}
	if cfg.HealthRecheck <= 0 {
		cfg.HealthRecheck = openwaba.DefaultHealthRecheck
	}
	if cfg.SenderLease <= 0 {
		cfg.SenderLease = 15 * time.Second
	}
	if cfg.RecordGrace <= 0 {
		cfg.RecordGrace = 15 * time.Second
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	d := &Dispatcher{cfg: cfg, log: cfg.Logger, now: cfg.Now, wake: make(chan struct{}, 1), held: newHeld(), lanes: newLanes(cfg.MaxInFlightPerSender)}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.pacer = newPacer(cfg.DefaultMPS)
	d.pacer.observe = d.metrics().PacingWait
	return d
}

// Notify wakes the dispatcher: new messages may be due. It never blocks.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx is cancelled, then lets the sends in flight
// finish (they are not cancelled: cutting a send short would leave us not
// knowing whether WhatsApp took the message) and their outcomes be
// recorded (within RecordGrace), puts claimed but unsent messages back in
// the queue, and returns. The leases of the messages it holds are renewed
// until then.
func (d *Dispatcher) Run(ctx context.Context) error {
	claimed := func(ctx context.Context, now time.Time, limit int) ([]openwaba.Message, error) {
		return d.cfg.Store.ClaimDue(ctx, now, d.cfg.Lease, limit)
	}
	if d.cfg.Node != "" {
		claimed = d.claimOwn
		// Renew apart from claiming: a claim can wait long for workers
		// that pace a slow sender, and the lease must not lapse meanwhile.
		renewCtx, stop := context.WithCancel(ctx)
		defer func() {
			stop()
			if err := d.cfg.Store.ReleaseSenders(context.WithoutCancel(ctx), d.cfg.Node); err != nil {
				d.log.Warn("releasing senders; other nodes take them when the leases end", "err", err)
			}
			d.metrics().SenderLeases(0)
		}()
		go d.renewSenders(renewCtx)
	}
	// The leases are renewed until the last worker is done, which is after
	// ctx ends: a send in flight and its record finish under our lease.
	leaseCtx, stopLeases := context.WithCancel(context.WithoutCancel(ctx))
	var leases sync.WaitGroup
	leases.Go(func() { d.renewLeases(leaseCtx) })
	defer func() {
		stopLeases()
		leases.Wait()
	}()
	queue.Loop[openwaba.Message]{
		Name: "messages",
		Next: d.cfg.Store.NextDue,
		Claim: func(ctx context.Context, now time.Time, limit int) ([]openwaba.Message, error) {
			if err := d.cfg.Reads.Refresh(ctx); err != nil {
				return nil, err
			}
			msgs, err := claimed(ctx, now, limit)
			return d.hold(msgs), err
		},
		// ctx, not the loop's uncancelled one: process tells a stop from
		// it, and shields the send and the record from it itself.
		Process: func(_ context.Context, m openwaba.Message) { d.process(ctx, m) },
		Release: d.release,
		Workers: d.cfg.MaxInFlight, Batch: d.cfg.Batch, Poll: d.cfg.Poll,
		Now: d.now, Wake: d.wake, Log: d.log,
	}.Run(ctx)
	return nil
}

// hold adds freshly claimed messages to the held ones and returns those to
// process.
func (d *Dispatcher) hold(msgs []openwaba.Message) []openwaba.Message {
	fresh, busy := d.held.take(msgs)
	for _, m := range busy {
		// Its lease ran out while we had it; the worker that has it
		// settles it. Our renewals will cover it again.
		d.log.Warn("claimed a message again that is still being sent here: its lease had run out; the renewals failed for a whole lease", "id", m.ID)
	}
	return fresh
}

// release gives claimed messages back to the queue so that they are sent
// right after a restart instead of waiting for their lease to run out.
func (d *Dispatcher) release(ctx context.Context, msgs []openwaba.Message) {
	for _, m := range msgs {
		if err := d.cfg.Store.Retry(ctx, m.ID, d.now(), m.ErrorCode, m.ErrorText); err != nil {
			d.log.Warn("releasing message; it will be retried when its lease ends", "id", m.ID, "err", err)
		}
		d.held.done(m.ID)
	}
}

// claimOwn claims the due messages of the senders this node paces, after
// taking one more free sender if there is one.
func (d *Dispatcher) claimOwn(ctx context.Context, now time.Time, limit int) ([]openwaba.Message, error) {
	senders, err := d.cfg.Store.LeaseSenders(ctx, d.cfg.Node, now, d.cfg.SenderLease)
	if err != nil {
		return nil, err
	}
	d.metrics().SenderLeases(len(senders))
	return d.cfg.Store.ClaimDueFor(ctx, now, d.cfg.Lease, limit, senders)
}

// renewSenders keeps this node's sender leases alive while it runs.
func (d *Dispatcher) renewSenders(ctx context.Context) {
	t := time.NewTicker(d.cfg.SenderLease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.cfg.Store.LeaseSenders(ctx, d.cfg.Node, d.now(), d.cfg.SenderLease); err != nil && ctx.Err() == nil {
				d.log.Warn("renewing sender leases", "err", err)
			}
		}
	}
}
