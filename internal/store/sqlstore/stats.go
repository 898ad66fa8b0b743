package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/openwaba/openwaba"
)

// dueBacklogQuery counts the rows of dispatch_queue due at ?1 per sender:
// a range of dispatch_queue_due (TestQueuePlansUseIndex).
const dueBacklogQuery = `SELECT sender, COUNT(*), MIN(due_at) FROM dispatch_queue WHERE due_at <= ? GROUP BY sender ORDER BY sender`

// QueueStats reads three grouped counts, each over what one index finds:
// the due rows of dispatch_queue (dispatch_queue_due), the pending and the
// dead rows of webhook_outbox (its partial indexes). Both tables hold only
// unfinished work, so the cost follows the backlog, not the history. It
// reads outside a transaction: the counts may be a moment apart.
func (s *Store) QueueStats(ctx context.Context, now time.Time) (openwaba.QueueStats, error) {
	var st openwaba.QueueStats
	senders, err := all(ctx, s.read, func(sc scanner) (openwaba.SenderQueue, error) {
		var q openwaba.SenderQueue
		var oldest int64
		err := sc.Scan(&q.Sender, &q.Due, &oldest)
		q.OldestDue = fromMS(oldest)
		return q, err
	}, dueBacklogQuery, ms(now))
	if err != nil {
		return st, fmt.Errorf("queue stats: due messages: %w", err)
	}
	type count struct {
		hook   int64
		n      int
		oldest int64
	}
	pending, err := all(ctx, s.read, func(sc scanner) (count, error) {
		var c count
		err := sc.Scan(&c.hook, &c.n, &c.oldest)
		return c, err
	}, `SELECT hook_id, COUNT(*), MIN(created_at) FROM webhook_outbox WHERE state = 'pending' GROUP BY hook_id`)
	if err != nil {
		return st, fmt.Errorf("queue stats: pending webhook deliveries: %w", err)
	}
	dead, err := all(ctx, s.read, func(sc scanner) (count, error) {
		var c count
		err := sc.Scan(&c.hook, &c.n)
		return c, err
	}, `SELECT hook_id, COUNT(*) FROM webhook_outbox WHERE state = 'dead' GROUP BY hook_id`)
	if err != nil {
		return st, fmt.Errorf("queue stats: dead webhook deliveries: %w", err)
	}
	hooks := map[int64]*openwaba.HookQueue{}
	hook := func(id int64) *openwaba.HookQueue {
		h, ok := hooks[id]
		if !ok {
			h = &openwaba.HookQueue{HookID: id}
			hooks[id] = h
		}
		return h
	}
	for _, c := range pending {
		h := hook(c.hook)
		h.Pending, h.OldestPending = c.n, fromMS(c.oldest)
	}
	for _, c := range dead {
		hook(c.hook).Dead = c.n
	}
	st.Senders = senders
	for _, h := range hooks {
		st.Hooks = append(st.Hooks, *h)
	}
	slices.SortFunc(st.Hooks, func(a, b openwaba.HookQueue) int { return cmp.Compare(a.HookID, b.HookID) })
	return st, nil
}
