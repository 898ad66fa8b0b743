package openwaba

import (
	"context"
	"time"
)

// QueueStats is what waits in the gateway's two queues at one moment, for
// metrics: the messages due to go to WhatsApp, per sender, and the
// deliveries waiting to go to the customers' webhooks, per hook.
type QueueStats struct {
	// Senders are the senders with due messages, by number.
	Senders []SenderQueue
	// Hooks are the hooks with pending or dead deliveries, by id.
	Hooks []HookQueue
}

// SenderQueue is the due backlog of one sender.
type SenderQueue struct {
	Sender string
	// Due counts its queued messages due at the time asked about, claimed
	// by a dispatcher or not: those not handed to WhatsApp yet.
	Due int
	// OldestDue is the earliest due time among them: how late the
	// dispatcher is with this sender.
	OldestDue time.Time
}

// HookQueue is the outbox of one hook.
type HookQueue struct {
	HookID int64
	// Pending counts the deliveries not delivered yet: due, waiting for
	// a retry or being attempted.
	Pending int
	// OldestPending is the time of the event of the oldest pending
	// delivery; zero when none is pending.
	OldestPending time.Time
	// Dead counts the deliveries given up on (dead letters).
	Dead int
}

// StatsStore reports the sizes of the queues. Its cost grows with the
// backlog (what is due or undelivered), not with the history: delivered
// and dispatched rows leave the queues.
type StatsStore interface {
	// QueueStats counts the messages due at now per sender and the pending
	// and dead webhook deliveries per hook, of every account.
	QueueStats(ctx context.Context, now time.Time) (QueueStats, error)
}
