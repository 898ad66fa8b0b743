package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openwaba/openwaba"
)

// journal records that message id reached status. A status the journal
// already has for the message is not recorded again: WhatsApp repeats
// webhooks it thinks were not received, and the first report is the one
// that counts.
//
// A status recorded for the first time also puts its webhook deliveries in
// the outbox, in the same transaction: a status is never reported twice,
// and never lost. Every path that journals comes through here.
func journal(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	n, err := affected(tx.exec(ctx, `
		INSERT INTO message_statuses (message_id, status, at, error_code, error_text)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, status) DO NOTHING`,
		id, status, ms(at), code, text))
	if err != nil || n == 0 {
		return err
	}
	events := status.HookEvents()
	if len(events) == 0 {
		return nil
	}
	var accountID int64
	var sender string
	if err := tx.row(ctx, `SELECT account_id, sender FROM messages WHERE id = ?`, id).Scan(&accountID, &sender); err != nil {
		return err
	}
	return enqueue(ctx, tx, accountID, sender, events, event{
		OrderKey: openwaba.MessageOrderKey(id), MessageID: id,
		Status: status, StatusAt: at, ErrorCode: code, ErrorText: text, CreatedAt: at,
	})
}

// setStatus moves message id to status if status follows the message's
// (openwaba.Status.Follows, applied in the WHERE by rank) and reports
// whether it did. A non-empty error replaces the message's last error; an
// empty one leaves it.
func setStatus(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) (bool, error) {
	keepError := code == 0 && text == ""
	n, err := affected(tx.exec(ctx, `
		UPDATE messages SET status = ?1, status_rank = ?2, status_at = ?3,
			error_code = CASE WHEN ?4 THEN error_code ELSE ?5 END,
			error_text = CASE WHEN ?4 THEN error_text ELSE ?6 END
		WHERE id = ?7 AND status_rank < ?2`,
		status, status.Rank(), ms(at), keepError, code, text, id))
	return n > 0, err
}

// settle sets what message id costs to what openwaba.Charge says, report
// being the pricing a status report just gave (nil: none; an earlier
// report's is kept on the message), and books the difference: a refund
// when the message failed or ended, a settlement otherwise. Settling
// again with nothing new books nothing, so every path (cancel, fail, a
// failed report, repeated reports) refunds at most once together. The
// caller serialises the writes to the message (the wamid lock, or the
// queue row's); the row lock here orders them against the balance.
func settle(ctx context.Context, tx *db, id int64, report *openwaba.Pricing, at time.Time) error {
	var accountID int64
	var category openwaba.PriceCategory
	var recipient string
	var status openwaba.Status
	var price, list, charge openwaba.Micros
	var billable sql.NullBool
	var stored openwaba.Pricing
	if err := tx.row(ctx, `
		SELECT account_id, category, recipient, status, price, list_price, charge,
			billable, pricing_model, pricing_type, pricing_category
		FROM messages WHERE id = ?`+tx.d.lockRows, id).Scan(&accountID, &category, &recipient, &status,
		&price, &list, &charge, &billable, &stored.Model, &stored.Type, &stored.Category); err != nil {
		return err
	}
	f := openwaba.ChargeFacts{Accepted: price, List: list, Category: category, Pricing: report,
		Ended: status == openwaba.StatusExpired || status == openwaba.StatusDeleted}
	if report == nil && billable.Valid {
		stored.Billable = billable.Bool
		f.Pricing = &stored
	}
	journal, err := all(ctx, tx, scanValue[openwaba.Status], `SELECT status FROM message_statuses WHERE message_id = ?`, id)
	if err != nil {
		return err
	}
	for _, st := range journal {
		f.Delivered = f.Delivered || slices.Contains(openwaba.DeliveredStatuses(), st)
		f.Failed = f.Failed || st.Unbilled()
	}
	target, refund, err := openwaba.Charge(f, func(c openwaba.PriceCategory) (openwaba.Micros, error) {
		return listPrice(ctx, tx, accountID, c, recipient)
	})
	if err != nil {
		return err
	}
	if report != nil {
		if _, err := tx.exec(ctx, `
			UPDATE messages SET billable = ?, pricing_model = ?, pricing_type = ?, pricing_category = ?, settled = TRUE
			WHERE id = ?`, report.Billable, report.Model, report.Type, report.Category, id); err != nil {
			return err
		}
	}
	diff := target - charge
	if diff == 0 && !refund {
		return nil
	}
	// refunded says whether the price was given back: a refund sets it, a
	// later charge (a delivered report after a failed one) clears it.
	if _, err := tx.exec(ctx, `
		UPDATE messages SET charge = ?, settled = TRUE,
			refunded = CASE WHEN ? THEN TRUE WHEN ? THEN FALSE ELSE refunded END
		WHERE id = ?`, target, refund && diff < 0, target > 0, id); err != nil {
		return err
	}
	if diff == 0 {
		return nil
	}
	reason := openwaba.ReasonSettlement
	if refund {
		reason = openwaba.ReasonRefund
	}
	_, err = credit(ctx, tx, accountID, -diff, reason, id, at)
	return err
}

// end takes a message that never reached WhatsApp out of the queue and ends
// it with status, one that openwaba.Status.Ends: journal, webhooks, refund
// (settle).
// The caller holds the queue row's lock.
func end(ctx context.Context, tx *db, id int64, status openwaba.Status, at time.Time, code int, text string) error {
	if !status.Ends() {
		return fmt.Errorf("status %q does not end a message", status)
	}
	if _, err := tx.exec(ctx, `DELETE FROM dispatch_queue WHERE message_id = ?`, id); err != nil {
		return err
	}
	if _, err := setStatus(ctx, tx, id, status, at, code, text); err != nil {
		return err
	}
	if err := journal(ctx, tx, id, status, at, code, text); err != nil {
		return err
	}
	return settle(ctx, tx, id, nil, at)
}

// wamidLock is the class of the transaction locks on wamids. It serialises
// everything that touches one wamid, ApplyStatus and MarkSubmitted, where
// writers run concurrently. Without it a report could look for its message
// just before MarkSubmitted commits the wamid, and be set aside just after
// MarkSubmitted looked for reports set aside: then it would wait in
// early_statuses forever. There is no row to lock before the wamid is
// stored, hence this lock.
const wamidLock = 0x0a3a1d

// ApplyStatus records a status report for the message with u.WAMID. A
// report for a wamid the store does not know yet is kept aside and applied
// when MarkSubmitted stores that wamid: (false, nil). The journal gets every
// status once; the message moves only forward; what it costs follows the
// report (settle): its pricing, a refund for a failure or a pause before
// delivery (openwaba.Status.Unbilled).
func (s *Store) ApplyStatus(ctx context.Context, u openwaba.StatusUpdate) (bool, error) {
	if !u.Status.Valid() {
		return false, fmt.Errorf("apply status %q to %s: invalid status", u.Status, u.WAMID)
	}
	if u.WAMID == "" {
		return false, nil
	}
	now := s.now()
	if u.At.IsZero() {
		u.At = now
	}
	var changed bool
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		changed = false
		if err := s.lock(ctx, tx, wamidLock, u.WAMID); err != nil {
			return err
		}
		var id int64
		err := tx.row(ctx, `SELECT id FROM messages WHERE wamid = ? ORDER BY id DESC LIMIT 1`, u.WAMID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return keepEarly(ctx, tx, u, now)
		}
		if err != nil {
			return err
		}
		changed, err = s.applyStatus(ctx, tx, id, u, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("apply status %s to %s: %w", u.Status, u.WAMID, err)
	}
	return changed, nil
}

// applyStatus records u for message id.
func (s *Store) applyStatus(ctx context.Context, tx *db, id int64, u openwaba.StatusUpdate, now time.Time) (bool, error) {
	if err := s.recordRecipient(ctx, tx, id, u.User, now); err != nil {
		return false, err
	}
	if err := journal(ctx, tx, id, u.Status, u.At, u.ErrorCode, u.ErrorText); err != nil {
		return false, err
	}
	code, text := 0, ""
	if u.Status.Unbilled() {
		code, text = u.ErrorCode, u.ErrorText
	}
	changed, err := setStatus(ctx, tx, id, u.Status, u.At, code, text)
	if err != nil {
		return changed, err
	}
	// What the message costs changes with a price reported, a failure
	// (Meta bills delivered messages only), or a delivery after one.
	if u.Pricing != nil || u.Status.Unbilled() || slices.Contains(openwaba.DeliveredStatuses(), u.Status) {
		if err = settle(ctx, tx, id, u.Pricing, now); err != nil {
			return changed, err
		}
	}
	// Meta's 131050: the recipient stopped marketing messages.
	return changed, statusConsent(ctx, tx, id, u)
}

// keepEarly sets aside a report for a wamid no message has yet, and drops
// the reports that waited in vain for longer than openwaba.EarlyStatusKeep.
func keepEarly(ctx context.Context, tx *db, u openwaba.StatusUpdate, now time.Time) error {
	if _, err := tx.exec(ctx, `DELETE FROM early_statuses WHERE received_at < ?`,
		ms(now.Add(-openwaba.EarlyStatusKeep))); err != nil {
		return err
	}
	details, err := json.Marshal(statusDetails{User: u.User, Pricing: u.Pricing})
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `
		INSERT INTO early_statuses (wamid, status, at, error_code, error_text, details, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (wamid, status) DO NOTHING`,
		u.WAMID, u.Status, ms(u.At), u.ErrorCode, u.ErrorText, storedJSON(details), ms(now))
	return err
}

// statusDetails is what a report set aside keeps besides its status.
type statusDetails struct {
	User    openwaba.User     `json:",omitzero"`
	Pricing *openwaba.Pricing `json:",omitempty"`
}

// applyEarly applies the reports that arrived for wamid before message id
// had it, and removes them. They are applied in the order of their
// ranks, the order in which a message lives them (held, sent, delivered,
// read), so that the journal and the webhooks tell it so: their times do
// not order them, Meta's being whole seconds and the dispatcher's (for a
// status of the send answer) milliseconds. The caller holds the wamid's
// lock.
func (s *Store) applyEarly(ctx context.Context, tx *db, id int64, wamid string, now time.Time) error {
	early, err := all(ctx, tx, func(sc scanner) (openwaba.StatusUpdate, error) {
		u := openwaba.StatusUpdate{WAMID: wamid}
		var at int64
		var details string
		err := sc.Scan(&u.Status, &at, &u.ErrorCode, &u.ErrorText, &details)
		u.At = fromMS(at)
		if err == nil && details != "" {
			var d statusDetails
			if err := json.Unmarshal([]byte(details), &d); err != nil {
				return u, fmt.Errorf("details of an early %s report of %s: %w", u.Status, wamid, err)
			}
			u.User, u.Pricing = d.User, d.Pricing
		}
		return u, err
	}, `DELETE FROM early_statuses WHERE wamid = ? RETURNING status, at, error_code, error_text, details`, wamid)
	if err != nil {
		return err
	}
	slices.SortStableFunc(early, func(a, b openwaba.StatusUpdate) int { return a.Status.Rank() - b.Status.Rank() })
	for _, u := range early {
		if _, err := s.applyStatus(ctx, tx, id, u, now); err != nil {
			return err
		}
	}
	return nil
}

// recordRecipient keeps what a status report said of the recipient of
// message id (its BSUID, number, username) on the message, and links the
// ids it names together with the one the message was sent to.
func (s *Store) recordRecipient(ctx context.Context, tx *db, id int64, seen openwaba.User, now time.Time) error {
	if seen.Zero() {
		return nil
	}
	var accountID int64
	var sender, recipient string
	var known openwaba.User
	if err := tx.row(ctx, `SELECT account_id, sender, recipient, user_wa_id, user_id, parent_user_id, username FROM messages WHERE id = ?`, id).
		Scan(&accountID, &sender, &recipient, &known.WaID, &known.UserID, &known.ParentUserID, &known.Username); err != nil {
		return err
	}
	if !known.Zero() && !known.Tells(seen) {
		return nil // an earlier report of the message linked these ids
	}
	// The message went to one of the user's ids.
	sent := openwaba.UserOf(recipient)
	switch {
	case sent.WaID != "" && seen.WaID == "":
		seen.WaID = sent.WaID
	case sent.UserID != "" && seen.UserID == "":
		seen.UserID = sent.UserID
	case sent.ParentUserID != "" && seen.ParentUserID == "":
		seen.ParentUserID = sent.ParentUserID
	}
	waba, err := scopeOf(ctx, tx, accountID, sender)
	if err != nil {
		return err
	}
	u, err := s.linkUser(ctx, tx, accountID, waba, seen, now)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE messages SET user_wa_id = ?, user_id = ?, parent_user_id = ?, username = ? WHERE id = ?`,
		u.WaID, u.UserID, u.ParentUserID, openwaba.StoredText(u.Username), id)
	return err
}
