package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/openwaba/openwaba"
)

// Users are linked within the WABA of the sender number a message was to
// or from (see openwaba.UserStore): the scope. openwaba.LinkUser decides
// what one user is after a report; the SQL here writes the answer.

// userLock is the class of the transaction locks on user ids: two nodes
// that see a new user at once would otherwise both insert them.
const userLock = 0x05e75e

// scopeOf is the WABA of the account's sender number, "" when the number
// has none or is gone.
func scopeOf(ctx context.Context, tx *db, accountID int64, sender string) (string, error) {
	var waba string
	err := tx.row(ctx, `SELECT `+scopeSQL("?", "?"), sender, accountID).Scan(&waba)
	return waba, err
}

// scopeSQL is scopeOf as an expression, of a sender and an account
// (columns or placeholders), for statements that read it with more.
func scopeSQL(sender, accountID string) string {
	return `coalesce((SELECT waba_id FROM senders WHERE number = ` + sender + ` AND account_id = ` + accountID + `), '')`
}

type userRow struct {
	id int64
	openwaba.User
}

func scanUserRow(sc scanner) (userRow, error) {
	var r userRow
	err := sc.Scan(&r.id, &r.WaID, &r.UserID, &r.ParentUserID, &r.Username)
	return r, err
}

// usersWithIDs are the identities of the scope that have one of ids.
func usersWithIDs(ctx context.Context, c *db, accountID int64, waba string, ids []string) ([]userRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := c.d.listArg(ids)
	if err != nil {
		return nil, err
	}
	rows, err := all(ctx, c, scanUserRow, `
		SELECT id, coalesce(wa_id, ''), coalesce(user_id, ''), coalesce(parent_user_id, ''), username
		FROM wa_users WHERE account_id = ?1 AND waba_id = ?2
		AND (wa_id `+c.d.in("?3")+` OR user_id `+c.d.in("?3")+` OR parent_user_id `+c.d.in("?3")+`)`, accountID, waba, list)
	sortUserRows(rows)
	return rows, err
}

// sortUserRows orders identities by id, oldest first. A user has a few:
// sorting them here spares SQLite a temporary b-tree per query (an ORDER
// BY over a multi-index OR), on every status report and marketing accept.
func sortUserRows(rows []userRow) {
	slices.SortFunc(rows, func(a, b userRow) int { return cmp.Compare(a.id, b.id) })
}

// userLockKeys are the keys of the user locks linkUser takes for seen in
// the scope, sorted: one lock order for every writer.
func userLockKeys(accountID int64, waba string, seen openwaba.User) []string {
	ids := seen.IDs()
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = fmt.Sprintf("%d %s %s", accountID, waba, id)
	}
	slices.Sort(keys)
	return keys
}

// linkUser stores what seen adds to the identities of the scope
// (openwaba.LinkUser) and returns the user as known now. A report that
// adds nothing writes nothing.
func (s *Store) linkUser(ctx context.Context, tx *db, accountID int64, waba string, seen openwaba.User, at time.Time) (openwaba.User, error) {
	ids := seen.IDs()
	if len(ids) == 0 {
		return seen, nil
	}
	if err := s.lockAll(ctx, tx, userLock, userLockKeys(accountID, waba, seen)); err != nil {
		return seen, err
	}
	rows, err := usersWithIDs(ctx, tx, accountID, waba, ids)
	if err != nil {
		return seen, err
	}
	stored := make([]openwaba.User, len(rows))
	for i, r := range rows {
		stored[i] = r.User
	}
	merged, others := openwaba.LinkUser(stored, seen)
	if len(rows) == 1 && len(others) == 0 && rows[0].User == merged {
		return merged, nil // nothing new
	}
	for _, r := range rows {
		if _, err := tx.exec(ctx, `DELETE FROM wa_users WHERE id = ?`, r.id); err != nil {
			return seen, err
		}
	}
	for _, u := range append(others, merged) {
		if _, err := tx.exec(ctx, `
			INSERT INTO wa_users (account_id, waba_id, wa_id, user_id, parent_user_id, username, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			accountID, waba, nullString(u.WaID), nullString(u.UserID), nullString(u.ParentUserID),
			openwaba.StoredText(u.Username), ms(at)); err != nil {
			return seen, err
		}
	}
	return merged, nil
}

// findUser is the user of the scope one of whose ids is id; a user the
// store never saw is what id says of them (openwaba.UserOf).
func findUser(ctx context.Context, c *db, accountID int64, waba, id string) (openwaba.User, bool, error) {
	rows, err := usersWithIDs(ctx, c, accountID, waba, []string{id})
	if err != nil || len(rows) == 0 {
		return openwaba.UserOf(id), false, err
	}
	return rows[0].User, true, nil
}

// User finds the user one of whose ids is id, in the WABA of the
// account's sender number.
func (s *Store) User(ctx context.Context, accountID int64, sender, id string) (openwaba.User, error) {
	waba, err := scopeOf(ctx, s.read, accountID, sender)
	if err != nil {
		return openwaba.User{}, fmt.Errorf("user %s: %w", id, err)
	}
	u, ok, err := findUser(ctx, s.read, accountID, waba, id)
	switch {
	case err != nil:
		return openwaba.User{}, fmt.Errorf("user %s: %w", id, err)
	case !ok:
		return openwaba.User{}, fmt.Errorf("user %s: %w", id, openwaba.ErrNotFound)
	}
	return u, nil
}

// ChangeUserID applies a user_id_update: the identity with c.Previous has
// c.Current instead (merged with an identity that has c.Current already),
// and every window of the scope's senders under c.Previous is kept under
// c.Current too.
func (s *Store) ChangeUserID(ctx context.Context, accountID int64, sender string, c openwaba.UserIDChange) error {
	if !openwaba.IsBSUID(c.Current) || (c.Previous != "" && !openwaba.IsBSUID(c.Previous)) {
		return fmt.Errorf("change user id %q to %q: not a BSUID", c.Previous, c.Current)
	}
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		waba, err := scopeOf(ctx, tx, accountID, sender)
		if err != nil {
			return err
		}
		// The user known by the old BSUID is the user of the new one.
		seen := openwaba.User{WaID: c.WaID, UserID: c.Current, ParentUserID: c.Parent}
		if c.Previous != "" {
			old, ok, err := findUser(ctx, tx, accountID, waba, c.Previous)
			if err != nil {
				return err
			}
			if ok {
				if _, err := tx.exec(ctx, `DELETE FROM wa_users WHERE account_id = ? AND waba_id = ? AND user_id = ?`,
					accountID, waba, c.Previous); err != nil {
					return err
				}
				seen.Username = old.Username
				if seen.WaID == "" {
					seen.WaID = old.WaID
				}
				if seen.ParentUserID == "" && old.ParentUserID != c.PreviousParent {
					seen.ParentUserID = old.ParentUserID
				}
			}
		}
		if _, err := s.linkUser(ctx, tx, accountID, waba, seen, at); err != nil {
			return err
		}
		// The windows the user opened under the old ids stay open under
		// the new ones, on every number of the scope.
		for _, ch := range [][2]string{{c.Previous, c.Current}, {c.PreviousParent, c.Parent}} {
			if ch[0] == "" || ch[1] == "" || ch[0] == ch[1] {
				continue
			}
			if _, err := tx.exec(ctx, `
				INSERT INTO windows (sender, user_number, last_inbound_at)
				SELECT w.sender, ?, w.last_inbound_at FROM windows w
				JOIN senders s ON s.number = w.sender AND s.account_id = ? AND s.waba_id = ?
				WHERE w.user_number = ?
				ON CONFLICT (sender, user_number) DO UPDATE
				SET last_inbound_at = `+s.d.greatest+`(windows.last_inbound_at, excluded.last_inbound_at)`,
				ch[1], accountID, waba, ch[0]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("change user id %s to %s: %w", c.Previous, c.Current, err)
	}
	return nil
}

// openWindows opens or refreshes sender's window with u under every id of
// u, to the latest of opened and what any of them had: the ids name one
// user, whichever a send names them by.
func (s *Store) openWindows(ctx context.Context, tx *db, sender string, u openwaba.User, opened time.Time) error {
	ids := u.IDs()
	if len(ids) == 0 {
		return nil
	}
	at := ms(opened)
	if len(ids) > 1 {
		list, err := tx.d.listArg(ids)
		if err != nil {
			return err
		}
		var last sql.NullInt64
		if err := tx.row(ctx, `SELECT max(last_inbound_at) FROM windows WHERE sender = ? AND user_number `+tx.d.in("?"),
			sender, list).Scan(&last); err != nil {
			return err
		}
		at = max(at, last.Int64)
	}
	for _, id := range ids {
		// The later of the two: webhooks arrive out of order, and an old
		// message must not shorten the window a newer one opened.
		if _, err := tx.exec(ctx, `
			INSERT INTO windows (sender, user_number, last_inbound_at) VALUES (?, ?, ?)
			ON CONFLICT (sender, user_number) DO UPDATE
			SET last_inbound_at = `+s.d.greatest+`(windows.last_inbound_at, excluded.last_inbound_at)`,
			sender, id, at); err != nil {
			return err
		}
	}
	return nil
}
