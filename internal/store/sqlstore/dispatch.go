package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openwaba/openwaba"
)

// ClaimDue leases up to limit queued messages that are due at now and not
// leased, oldest due first. Two claimers never lease the same row while its
// lease holds: on SQLite the single writer runs claims one after the other;
// on PostgreSQL SKIP LOCKED makes concurrent claimers (goroutines or nodes)
// take disjoint rows without waiting, and once one commits its lease keeps
// the row out of reach until the lease ends. A scheduled message becomes
// queued when it is claimed.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]openwaba.Message, error) {
	return s.claimDue(ctx, now, lease, limit, nil)
}

// ClaimDueFor is ClaimDue for the messages of senders only.
func (s *Store) ClaimDueFor(ctx context.Context, now time.Time, lease time.Duration, limit int, senders []string) ([]openwaba.Message, error) {
	if len(senders) == 0 {
		return nil, nil
	}
	return s.claimDue(ctx, now, lease, limit, senders)
}

// claimDue claims for the given senders, or for all when senders is nil.
func (s *Store) claimDue(ctx context.Context, now time.Time, lease time.Duration, limit int, senders []string) ([]openwaba.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	args := []any{ms(now.Add(lease)), ms(now), limit}
	if senders != nil {
		list, err := s.list(senders)
		if err != nil {
			return nil, err
		}
		args = append(args, list)
	}
	query := s.claimQuery(senders != nil)
	var msgs []openwaba.Message
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		ids, err := all(ctx, tx, scanValue[int64], query, args...)
		if err != nil || len(ids) == 0 {
			msgs = nil
			return err
		}
		list, err := s.list(ids)
		if err != nil {
			return err
		}
		if err := promote(ctx, tx, list, now); err != nil {
			return err
		}
		msgs, err = all(ctx, tx, scanMessage, `
			SELECT `+messageColumns+` FROM messages m JOIN dispatch_queue q ON q.message_id = m.id
			WHERE m.id `+s.d.in("?")+` ORDER BY q.due_at, m.id`, list)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due messages: %w", err)
	}
	return msgs, nil
}

// claimQuery leases up to ?3 claimable queue rows (?2 is now) until ?1,
// of the senders in the list ?4 when filtered, and returns their message
// ids. The inner SELECT walks the claimable index (greatest(due_at,
// lease_until)) from its start and stops after ?3 rows: its cost does not
// grow with the number of messages scheduled for later
// (TestQueuePlansUseIndex).
func (s *Store) claimQuery(filtered bool) string {
	due := s.d.greatest + `(due_at, lease_until)`
	filter := ``
	if filtered {
		filter = ` AND sender ` + s.d.in("?4")
	}
	return `
		UPDATE dispatch_queue SET lease_until = ?1, attempts = attempts + 1
		WHERE message_id IN (
			SELECT message_id FROM dispatch_queue
			WHERE ` + due + ` <= ?2` + filter + `
			ORDER BY ` + due + `, message_id LIMIT ?3` + s.d.skipLocked + `)
		RETURNING message_id`
}

// nextDueQuery reads the first entry of the claimable index.
func (s *Store) nextDueQuery() string {
	due := s.d.greatest + `(due_at, lease_until)`
	return `SELECT ` + due + ` FROM dispatch_queue ORDER BY ` + due + ` LIMIT 1`
}

// promote counts an attempt for each of the claimed messages ids, makes
// the scheduled (or accepted) ones queued and journals that (queued makes
// no webhook events: journalSilent). The claimer
// holds their queue rows, so it is the only writer that locks these
// message rows after their queue rows' locks: no deadlock with Cancel,
// Retry, Fail or MarkSubmitted, which lock the queue row first too.
func promote(ctx context.Context, tx *db, list any, now time.Time) error {
	queued := openwaba.StatusQueued
	// In id order, the order every multi-row lock of messages takes.
	old, err := all(ctx, tx, func(sc scanner) (openwaba.Message, error) {
		var m openwaba.Message
		err := sc.Scan(&m.ID, &m.Status)
		return m, err
	}, `SELECT id, status FROM messages WHERE id `+tx.d.in("?")+` ORDER BY id`+tx.d.lockRows, list)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE messages SET attempts = attempts + 1 WHERE id `+tx.d.in("?"), list); err != nil {
		return err
	}
	// The scheduled ones, all of a claim when a schedule falls due, move
	// in two statements, not two each.
	var moved []int64
	for _, m := range old {
		if queued.Follows(m.Status) {
			moved = append(moved, m.ID)
		}
	}
	if len(moved) == 0 {
		return nil
	}
	movedList, err := tx.d.listArg(moved)
	if err != nil {
		return err
	}
	if _, err := setStatusWhere(ctx, tx, `id `+tx.d.in("?7"), movedList, queued, now, 0, ""); err != nil {
		return err
	}
	return journalSilent(ctx, tx, movedList, queued, now)
}

// NextDue returns the earliest time at which ClaimDue will find something:
// the due time of an unleased message, or the end of a lease (a dispatcher
// that died leaves its messages leased, and they must be picked up when
// that runs out). false means the queue is empty.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next int64
	err := s.read.row(ctx, s.nextDueQuery()).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due message: %w", err)
	}
	return fromMS(next), true, nil
}

// RenewLeases extends to until the leases of the claimed messages ids that
// are still in the queue. lease_until > 0 marks a claim (Retry sets it to
// 0), so a message put back in the queue is not taken out of reach again by
// a late renewal; the greater of the two never shortens a lease. On
// PostgreSQL it locks queue rows only, in id order, so two renewals cannot
// deadlock, and it never holds a message row: the queue-row-first order of
// the other writers stands.
func (s *Store) RenewLeases(ctx context.Context, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := s.list(ids)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(ctx context.Context, tx *db) error {
		if _, err := tx.exec(ctx, `SELECT message_id FROM dispatch_queue WHERE message_id `+s.d.in("?")+
			` AND lease_until > 0 ORDER BY message_id`+s.d.lockRows, list); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE dispatch_queue SET lease_until = `+s.d.greatest+`(lease_until, ?2)
			WHERE message_id `+s.d.in("?1")+` AND lease_until > 0`, list, ms(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("renew leases of %d messages: %w", len(ids), err)
	}
	return nil
}

// MarkSubmitted records the wamid WhatsApp gave message id, applies the
// status reports that came for it before, and takes it out of the queue.
// Its status stays as it is until WhatsApp reports sent. The sends that
// finish at one moment are recorded in one write (batch.Group).
func (s *Store) MarkSubmitted(ctx context.Context, id int64, wamid string, at time.Time) error {
	if err := s.submitGroup.Do(ctx, submitReq{id: id, wamid: wamid, at: at}); err != nil {
		return fmt.Errorf("mark message %d submitted: %w", id, err)
	}
	return nil
}

// submitReq is one MarkSubmitted in a group.
type submitReq struct {
	id    int64
	wamid string
	at    time.Time
}

// flushSubmitted records a group of sends in one write, each alone if
// that fails (writeGroup).
func (s *Store) flushSubmitted(reqs []submitReq) []error {
	return writeGroup(reqs, func(reqs []submitReq, errs []error) error {
		return s.write(context.Background(), func(ctx context.Context, tx *db) error {
			clear(errs) // a retried write starts from scratch
			return s.writeSubmitted(ctx, tx, reqs, errs)
		})
	})
}

// writeSubmitted is MarkSubmitted of a group: the queue rows read (and
// locked) in one statement, the wamid locks in one sorted order, the
// reports kept for the wamids taken in one statement and the queue rows
// deleted in one. A message that does not exist is ErrNotFound in errs.
func (s *Store) writeSubmitted(ctx context.Context, tx *db, reqs []submitReq, errs []error) error {
	ids := make([]int64, len(reqs))
	for i, r := range reqs {
		ids[i] = r.id
	}
	queued, err := s.lockQueuedAll(ctx, tx, ids)
	if err != nil {
		return err
	}
	var missing []int64
	for _, r := range reqs {
		if !queued[r.id] {
			missing = append(missing, r.id)
		}
	}
	exists, err := s.existing(ctx, tx, missing)
	if err != nil {
		return err
	}
	var wamids []string
	for i, r := range reqs {
		if !queued[r.id] && !exists[r.id] {
			errs[i] = openwaba.ErrNotFound
			continue
		}
		wamids = append(wamids, r.wamid)
	}
	slices.Sort(wamids)
	wamids = slices.Compact(wamids)
	if err := s.lockAll(ctx, tx, wamidLock, wamids); err != nil {
		return err
	}
	var done []int64
	for i, r := range reqs {
		if errs[i] != nil {
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE messages SET wamid = ? WHERE id = ?`, nullString(r.wamid), r.id); err != nil {
			return err
		}
		if queued[r.id] {
			done = append(done, r.id)
		} else {
			// WhatsApp has it, so the wamid is kept all the same: status
			// reports must find the message.
			s.log.Warn("message submitted that was no longer queued; was its lease too short?",
				"id", r.id, "wamid", r.wamid, "at", r.at)
		}
	}
	early, err := takeEarly(ctx, tx, wamids)
	if err != nil {
		return err
	}
	for i, r := range reqs {
		if errs[i] == nil && len(early[r.wamid]) > 0 {
			if err := s.applyEarly(ctx, tx, r.id, early[r.wamid], s.now()); err != nil {
				return err
			}
			delete(early, r.wamid) // a wamid named twice has its reports applied once
		}
	}
	if len(done) == 0 {
		return nil
	}
	list, err := s.list(done)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `DELETE FROM dispatch_queue WHERE message_id `+s.d.in("?"), list)
	return err
}

// lockQueuedAll reads (and on PostgreSQL locks, in id order) the queue
// rows of ids, and tells which exist.
func (s *Store) lockQueuedAll(ctx context.Context, tx *db, ids []int64) (map[int64]bool, error) {
	return idSet(ctx, tx, `SELECT message_id FROM dispatch_queue WHERE message_id `+s.d.in("?")+
		` ORDER BY message_id`+tx.d.lockRows, ids)
}

// existing tells which of ids are messages. A queue row names an existing
// message (its foreign key), so this is read only for sends whose queue
// row is gone.
func (s *Store) existing(ctx context.Context, tx *db, ids []int64) (map[int64]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return idSet(ctx, tx, `SELECT id FROM messages WHERE id `+s.d.in("?"), ids)
}

// Retry puts a message back in the queue, due at next and unleased, and
// keeps errCode and errText as its last error. A message no longer in the
// queue (submitted or ended meanwhile) is ErrConflict: it must not come back.
func (s *Store) Retry(ctx context.Context, id int64, next time.Time, errCode int, errText string) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if err := queued(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx,
			`UPDATE dispatch_queue SET due_at = ?, lease_until = 0 WHERE message_id = ?`, ms(next), id); err != nil {
			return err
		}
		_, err := tx.exec(ctx,
			`UPDATE messages SET error_code = ?, error_text = ? WHERE id = ?`, errCode, errText, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("retry message %d: %w", id, err)
	}
	return nil
}

// Fail ends a queued message with status (openwaba.Status.CanFail: failed
// or expired) and the error, and refunds it. A message no longer in the
// queue is ErrConflict.
func (s *Store) Fail(ctx context.Context, id int64, status openwaba.Status, errCode int, errText string, at time.Time) error {
	if !status.CanFail() {
		return fmt.Errorf("fail message %d: status %q is neither failed nor expired", id, status)
	}
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if err := queued(ctx, tx, id); err != nil {
			return err
		}
		return end(ctx, tx, id, status, at, errCode, errText)
	})
	if err != nil {
		return fmt.Errorf("fail message %d: %w", id, err)
	}
	return nil
}

// queued checks that message id exists (else ErrNotFound) and is in the
// queue (else ErrConflict), and locks its queue row.
func queued(ctx context.Context, tx *db, id int64) error {
	inQueue, _, err := lockQueued(ctx, tx, id)
	if err != nil {
		return err
	}
	if !inQueue {
		return fmt.Errorf("%w: message is no longer queued", openwaba.ErrConflict)
	}
	return nil
}

// lockQueued checks that message id exists (else ErrNotFound), locks its
// queue row if it has one and reports whether it has, and until when it is
// leased. Every writer locks the queue row before the message row; see
// promote.
func lockQueued(ctx context.Context, tx *db, id int64) (inQueue bool, leaseUntil time.Time, err error) {
	// A queue row names an existing message (its foreign key), so the
	// message is looked for only when there is none: a message being sent
	// costs one read here.
	var until int64
	err = tx.row(ctx, `SELECT lease_until FROM dispatch_queue WHERE message_id = ?`+tx.d.lockRows, id).Scan(&until)
	if err == nil {
		return true, fromMS(until), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, err
	}
	var one int
	if err := tx.row(ctx, `SELECT 1 FROM messages WHERE id = ?`, id).Scan(&one); err != nil {
		return false, time.Time{}, notFound(err)
	}
	return false, time.Time{}, nil
}
