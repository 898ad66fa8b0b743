package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// The suppression lists (openwaba.ConsentStore). What changes consent is
// decided in the root package (consent.go); here it is written, in the
// transaction of what caused it: an inbound message (RecordInbound), a
// status report (ApplyStatus) or a request.

func scanSuppression(sc scanner) (openwaba.Suppression, error) {
	var e openwaba.Suppression
	var at int64
	err := sc.Scan(&e.AccountID, &e.User, &e.Reason, &e.Note, &at)
	e.CreatedAt = fromMS(at)
	return e, err
}

// Suppressions lists the account's entries, newest first, then by id.
func (s *Store) Suppressions(ctx context.Context, accountID int64) ([]openwaba.Suppression, error) {
	out, err := all(ctx, s.read, scanSuppression, `
		SELECT account_id, user_key, reason, note, created_at FROM suppressions
		WHERE account_id = ? ORDER BY created_at DESC, user_key`+s.d.byteOrder, accountID)
	if err != nil {
		return nil, fmt.Errorf("suppressions of account %d: %w", accountID, err)
	}
	return out, nil
}

// Suppressed finds the oldest entry under any id of the user.
func (s *Store) Suppressed(ctx context.Context, accountID int64, sender, user string) (openwaba.Suppression, bool, error) {
	e, ok, err := suppressed(ctx, s.read, accountID, sender, user)
	if err != nil {
		return e, false, fmt.Errorf("is %s suppressed: %w", user, err)
	}
	return e, ok, nil
}

// SuppressesAnyone reports whether the account has any entry.
func (s *Store) SuppressesAnyone(ctx context.Context, accountID int64) (bool, error) {
	any, err := suppressesAnyone(ctx, s.read, accountID)
	if err != nil {
		return false, fmt.Errorf("does account %d suppress anyone: %w", accountID, err)
	}
	return any, nil
}

// suppressesAnyone is one probe of the account's index. It runs without
// the request's cancellation, which nothing this short needs: a
// cancellable context costs database/sql and SQLite's driver a goroutine
// and a context each per query (a third of the probe's CPU).
func suppressesAnyone(ctx context.Context, c *db, accountID int64) (bool, error) {
	var n int
	err := c.row(context.WithoutCancel(ctx), `SELECT count(*) FROM (SELECT 1 FROM suppressions WHERE account_id = ? LIMIT 1) AS one`, accountID).Scan(&n)
	return n > 0, err
}

func suppressed(ctx context.Context, c *db, accountID int64, sender, user string) (openwaba.Suppression, bool, error) {
	// Every marketing recipient is checked at accept, and most accounts
	// suppress few users or none: one probe of the index first.
	if any, err := suppressesAnyone(ctx, c, accountID); err != nil || !any {
		return openwaba.Suppression{}, false, err
	}
	keys, _, err := userKeys(ctx, c, accountID, sender, user)
	if err != nil {
		return openwaba.Suppression{}, false, err
	}
	list, err := c.d.listArg(keys)
	if err != nil {
		return openwaba.Suppression{}, false, err
	}
	// The earliest entry, chosen here: an ORDER BY would sort in a
	// temporary b-tree, which SQLite opens anew for every query.
	es, err := all(ctx, c, scanSuppression, `
		SELECT account_id, user_key, reason, note, created_at FROM suppressions
		WHERE account_id = ? AND user_key `+c.d.in("?"), accountID, list)
	if err != nil || len(es) == 0 {
		return openwaba.Suppression{}, false, err
	}
	return slices.MinFunc(es, func(a, b openwaba.Suppression) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.User, b.User))
	}), true, nil
}

// ApplyConsent applies c to the user in a transaction of its own.
func (s *Store) ApplyConsent(ctx context.Context, accountID int64, sender, user string, c openwaba.ConsentChange, at time.Time) (bool, error) {
	if !c.Changes() {
		return false, nil
	}
	if !openwaba.ValidConsentReason(c.Reason) {
		return false, fmt.Errorf("consent of %s: unknown reason %q", user, c.Reason)
	}
	var changed bool
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if _, err := getAccountID(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		changed, err = applyConsent(ctx, tx, accountID, sender, user, c, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("consent of %s: %w", user, err)
	}
	return changed, nil
}

func getAccountID(ctx context.Context, tx *db, id int64) (int64, error) {
	var got int64
	err := tx.row(ctx, `SELECT id FROM accounts WHERE id = ?`, id).Scan(&got)
	return got, notFound(err)
}

// applyConsent writes c for the user in tx: an opt-out enters every id of
// theirs (entries they had stay as they were) and cancels their pending
// marketing messages; an opt-in removes their entries. An opt_out or
// opt_in event goes to the hooks when the user was not on the list before
// (opt-out) or was (opt-in).
func applyConsent(ctx context.Context, tx *db, accountID int64, sender, user string, c openwaba.ConsentChange, at time.Time) (bool, error) {
	keys, u, err := userKeys(ctx, tx, accountID, sender, user)
	if err != nil {
		return false, err
	}
	list, err := tx.d.listArg(keys)
	if err != nil {
		return false, err
	}
	var before int
	if err := tx.row(ctx, `SELECT count(*) FROM suppressions WHERE account_id = ? AND user_key `+tx.d.in("?"),
		accountID, list).Scan(&before); err != nil {
		return false, err
	}
	ev := openwaba.ConsentEvent{Sender: sender, User: u, Reason: string(c.Reason), Note: openwaba.StoredText(c.Note), At: at, Cancelled: []int64{}}
	changed := false
	switch {
	case c.OptOut:
		anyBefore, err := suppressesAnyone(ctx, tx, accountID)
		if err != nil {
			return false, err
		}
		if !anyBefore {
			// The account's first entry: gateways that keep "suppresses
			// nobody" in memory (internal/store/cached) must forget it.
			if err := bumpGeneration(ctx, tx); err != nil {
				return false, err
			}
		}
		for _, k := range keys {
			if _, err := tx.exec(ctx, `
				INSERT INTO suppressions (account_id, user_key, reason, note, created_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (account_id, user_key) DO NOTHING`, accountID, k, c.Reason, c.Note, ms(at)); err != nil {
				return false, err
			}
		}
		if ev.Cancelled, err = cancelMarketing(ctx, tx, accountID, list, at); err != nil {
			return false, err
		}
		changed = before == 0
	case c.OptIn:
		if _, err := tx.exec(ctx, `DELETE FROM suppressions WHERE account_id = ? AND user_key `+tx.d.in("?"), accountID, list); err != nil {
			return false, err
		}
		changed = before > 0
	}
	if !changed {
		return false, nil
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return false, err
	}
	return true, enqueue(ctx, tx, accountID, sender, []openwaba.HookEvent{c.Event()}, event{
		OrderKey: openwaba.ConversationOrderKey(sender, u.Key()), Data: data, CreatedAt: at,
	})
}

// cancelMarketing ends as failed (Meta's 131050, refunded) the account's
// marketing messages to the ids of list that a dispatcher does not hold
// (openwaba.Message.CancelledByOptOut, openwaba.Cancellable).
func cancelMarketing(ctx context.Context, tx *db, accountID int64, list any, at time.Time) ([]int64, error) {
	msgs, err := all(ctx, tx, scanMessage, `
		SELECT `+messageColumns+` FROM messages m JOIN dispatch_queue q ON q.message_id = m.id
		WHERE m.account_id = ?1 AND m.category = ?2 AND `+recipientIn(tx.d, "?3")+` ORDER BY m.id`,
		accountID, openwaba.CategoryMarketing, list)
	if err != nil {
		return nil, err
	}
	cancelled := []int64{}
	for _, m := range msgs {
		if !m.CancelledByOptOut() {
			continue
		}
		inQueue, leaseUntil, err := lockQueued(ctx, tx, m.ID)
		if err != nil {
			return nil, err
		}
		if !openwaba.Cancellable(inQueue, leaseUntil, at) {
			continue // a dispatcher has it: Meta refuses it with 131050, which ends it so
		}
		if err := end(ctx, tx, m.ID, openwaba.StatusFailed, at, openwaba.MetaCodeMarketingStopped, openwaba.TextOptedOut); err != nil {
			return nil, err
		}
		cancelled = append(cancelled, m.ID)
	}
	return cancelled, nil
}

// SetOptKeywords stores the account's keywords as comma lists, each
// normalised (openwaba.Keyword); empty lists are the defaults.
func (s *Store) SetOptKeywords(ctx context.Context, accountID int64, optOut, optIn []string) error {
	join := func(ks []string) string {
		var out []string
		for _, k := range ks {
			if k = openwaba.Keyword(k); k != "" && !strings.Contains(k, ",") {
				out = append(out, k)
			}
		}
		return strings.Join(out, ",")
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `UPDATE accounts SET opt_out_keywords = ?, opt_in_keywords = ? WHERE id = ?`,
			join(optOut), join(optIn), accountID))
	})
	if err != nil {
		return fmt.Errorf("set keywords of account %d: %w", accountID, err)
	}
	return nil
}

// inboundConsent applies what m does to its user's consent (by the
// account's keywords), in RecordInbound's transaction.
func inboundConsent(ctx context.Context, tx *db, m openwaba.InboundMessage, key string) error {
	var out, in string
	if err := tx.row(ctx, `SELECT opt_out_keywords, opt_in_keywords FROM accounts WHERE id = ?`, m.AccountID).Scan(&out, &in); err != nil {
		return notFound(err)
	}
	a := openwaba.Account{OptOutKeywords: openwaba.Keywords(out, nil), OptInKeywords: openwaba.Keywords(in, nil)}
	optOut, optIn := a.OptKeywords()
	c := openwaba.ConsentOfInbound(m, optOut, optIn)
	if !c.Changes() {
		return nil
	}
	_, err := applyConsent(ctx, tx, m.AccountID, m.Sender, key, c, m.ReceivedAt)
	return err
}

// statusConsent applies what a status report does to the consent of the
// message's recipient (Meta's 131050), in ApplyStatus's transaction.
func statusConsent(ctx context.Context, tx *db, id int64, u openwaba.StatusUpdate) error {
	c := openwaba.ConsentOfStatus(u)
	if !c.Changes() {
		return nil
	}
	var accountID int64
	var sender, recipient string
	if err := tx.row(ctx, `SELECT account_id, sender, recipient FROM messages WHERE id = ?`, id).Scan(&accountID, &sender, &recipient); err != nil {
		return err
	}
	_, err := applyConsent(ctx, tx, accountID, sender, recipient, c, u.At)
	return err
}
