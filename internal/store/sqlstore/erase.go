package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

// EraseUser deletes what the account holds about the user (see
// openwaba.EraseStore). The user's ids are those linked to user in any of
// the account's WABAs (userKeys); messages to any of them, and what they
// wrote under any of them, go. Rows that hang on an outbound message
// (statuses, queue, links, clicks) go with it by their foreign keys.
func (s *Store) EraseUser(ctx context.Context, accountID int64, user string, at time.Time) (openwaba.Erasure, error) {
	var e openwaba.Erasure
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		e = openwaba.Erasure{}
		if _, err := getAccountID(ctx, tx, accountID); err != nil {
			return err
		}
		keys, u, err := userKeys(ctx, tx, accountID, "", user)
		if err != nil {
			return err
		}
		e.User = u
		list, err := tx.d.listArg(keys)
		if err != nil {
			return err
		}
		out, err := all(ctx, tx, scanValue[int64], `SELECT m.id FROM messages m WHERE m.account_id = ?1 AND `+recipientIn(tx.d, "?2"), accountID, list)
		if err != nil {
			return err
		}
		in, err := all(ctx, tx, scanValue[int64], `SELECT id FROM inbound_messages WHERE account_id = ?1
			AND (from_number `+tx.d.in("?2")+` OR user_id `+tx.d.in("?2")+` OR parent_user_id `+tx.d.in("?2")+`)`, accountID, list)
		if err != nil {
			return err
		}
		senders, err := all(ctx, tx, scanValue[string], `SELECT number FROM senders WHERE account_id = ?`, accountID)
		if err != nil {
			return err
		}
		var orderKeys []string
		for _, sd := range senders {
			for _, k := range keys {
				orderKeys = append(orderKeys, openwaba.ConversationOrderKey(sd, k))
			}
		}
		outList, err := tx.d.listArg(out)
		if err != nil {
			return err
		}
		inList, err := tx.d.listArg(in)
		if err != nil {
			return err
		}
		orderList, err := tx.d.listArg(append(orderKeys, ""))
		if err != nil {
			return err
		}
		senderList, err := tx.d.listArg(append(senders, ""))
		if err != nil {
			return err
		}
		count := func(dst *int, q string, args ...any) error {
			n, err := affected(tx.exec(ctx, q, args...))
			*dst += int(n)
			return err
		}
		for _, step := range []struct {
			dst  *int
			q    string
			args []any
		}{
			{&e.Deliveries, `DELETE FROM webhook_outbox WHERE hook_id IN (SELECT id FROM hooks WHERE account_id = ?1)
				AND (message_id ` + tx.d.in("?2") + ` OR inbound_id ` + tx.d.in("?3") + ` OR order_key ` + tx.d.in("?4") + `)`,
				[]any{accountID, outList, inList, orderList}},
			{&e.Ledger, `UPDATE ledger SET message_id = NULL WHERE account_id = ?1 AND message_id ` + tx.d.in("?2"), []any{accountID, outList}},
			{new(int), `DELETE FROM early_statuses WHERE wamid IN (SELECT wamid FROM messages WHERE id ` + tx.d.in("?1") + `)`, []any{outList}},
			{&e.Messages, `DELETE FROM messages WHERE account_id = ?1 AND id ` + tx.d.in("?2"), []any{accountID, outList}},
			{&e.Inbound, `DELETE FROM inbound_messages WHERE account_id = ?1 AND id ` + tx.d.in("?2"), []any{accountID, inList}},
			{&e.Windows, `DELETE FROM windows WHERE sender ` + tx.d.in("?1") + ` AND user_number ` + tx.d.in("?2"), []any{senderList, list}},
			{&e.Identities, `DELETE FROM wa_users WHERE account_id = ?1 AND (wa_id ` + tx.d.in("?2") + ` OR user_id ` + tx.d.in("?2") +
				` OR parent_user_id ` + tx.d.in("?2") + `)`, []any{accountID, list}},
			{&e.Suppressed, `DELETE FROM suppressions WHERE account_id = ?1 AND user_key ` + tx.d.in("?2"), []any{accountID, list}},
		} {
			if err := count(step.dst, step.q, step.args...); err != nil {
				return err
			}
		}
		// Stored answers of idempotent sends name their recipients.
		for _, k := range keys {
			if err := count(&e.Replays, `DELETE FROM idempotency_keys WHERE account_id = ? AND `+tx.d.blobContains("body", "?"),
				accountID, []byte(`"`+k+`"`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return openwaba.Erasure{}, fmt.Errorf("erase user %s: %w", user, err)
	}
	return e, nil
}
