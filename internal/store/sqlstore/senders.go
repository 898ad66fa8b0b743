package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openwaba/openwaba"
)

const senderColumns = `number, account_id, coalesce(phone_number_id, ''), waba_id, mps, created_at,
	quality, messaging_limit, restrictions, ban_state, health_event, health_at`

func scanSender(sc scanner) (openwaba.Sender, error) {
	var sd openwaba.Sender
	var created, healthAt int64
	var restrictions []byte
	h := &sd.Health
	err := sc.Scan(&sd.Number, &sd.AccountID, &sd.PhoneNumberID, &sd.WABAID, &sd.MPS, &created,
		&h.Quality, &h.MessagingLimit, &restrictions, &h.BanState, &h.Event, &healthAt)
	if err != nil {
		return sd, err
	}
	sd.CreatedAt, h.UpdatedAt = fromMS(created), fromMS(healthAt)
	if h.Restrictions, err = decodeRestrictions(restrictions); err != nil {
		return sd, fmt.Errorf("restrictions of sender %s: %w", sd.Number, err)
	}
	return sd, nil
}

// storedRestriction is a restriction as the senders table keeps it, in a
// JSON list: the expiry in Unix milliseconds, 0 for none.
type storedRestriction struct {
	Type    string `json:"type"`
	Expires int64  `json:"expires"`
}

func encodeRestrictions(rs []openwaba.Restriction) ([]byte, error) {
	out := make([]storedRestriction, len(rs))
	for i, r := range rs {
		out[i] = storedRestriction{Type: openwaba.StoredText(r.Type), Expires: ms(r.Expires)}
	}
	return json.Marshal(out)
}

func decodeRestrictions(b []byte) ([]openwaba.Restriction, error) {
	var in []storedRestriction
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]openwaba.Restriction, len(in))
	for i, r := range in {
		out[i] = openwaba.Restriction{Type: r.Type, Expires: fromMS(r.Expires)}
	}
	return out, nil
}

// ApplyHealth applies Meta's report to the senders it names: the number
// (of that WABA, when the report names one), or every sender of the WABA.
// The new health is openwaba.SenderHealth.Apply's; the SQL only writes it,
// and a number_quality event for each sender it changed, in the same
// transaction. The rows are locked first (on PostgreSQL), so that two
// reports for one number, on two nodes, apply one after the other.
func (s *Store) ApplyHealth(ctx context.Context, r openwaba.HealthReport) ([]openwaba.Sender, error) {
	if r.At.IsZero() {
		r.At = s.now()
	}
	r.At = openwaba.TruncateMS(r.At)
	var changed []openwaba.Sender
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		changed = nil
		senders, err := all(ctx, tx, scanSender, `SELECT `+senderColumns+` FROM senders
			WHERE (?1 <> '' AND number = ?1 AND (?2 = '' OR waba_id = ?2)) OR (?1 = '' AND ?2 <> '' AND waba_id = ?2)
			ORDER BY number`+tx.d.lockRows, r.Number, r.WABAID)
		if err != nil {
			return err
		}
		for _, sd := range senders {
			after := sd.Health.Apply(r)
			if after.Same(sd.Health) {
				continue
			}
			restrictions, err := encodeRestrictions(after.Restrictions)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `UPDATE senders SET quality = ?, messaging_limit = ?, restrictions = ?,
				ban_state = ?, health_event = ?, health_at = ? WHERE number = ?`,
				openwaba.StoredText(after.Quality), openwaba.StoredText(after.MessagingLimit), string(restrictions),
				openwaba.StoredText(after.BanState), openwaba.StoredText(after.Event), ms(after.UpdatedAt), sd.Number); err != nil {
				return err
			}
			data, err := json.Marshal(openwaba.HealthChange{
				Number: sd.Number, WABAID: sd.WABAID, Field: r.Field, Event: r.Event, Violation: r.Violation,
				Before: sd.Health, After: after, At: r.At,
			})
			if err != nil {
				return err
			}
			if err := enqueue(ctx, tx, sd.AccountID, sd.Number, []openwaba.HookEvent{openwaba.HookNumberQuality}, event{
				OrderKey: openwaba.NumberOrderKey(sd.Number), Data: data, CreatedAt: r.At,
			}); err != nil {
				return err
			}
			sd.Health = after
			changed = append(changed, sd)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply %s %s to %s/%s: %w", r.Field, r.Event, r.WABAID, r.Number, err)
	}
	return changed, nil
}

// PutSender creates the sender or updates the one with the same number of
// the same account, keeping its CreatedAt. A number that belongs to another
// account, or a phone number id that another number already has, is
// ErrConflict; an unknown account is ErrNotFound. The upsert decides in one
// statement, so two admins racing cannot move a number between accounts.
func (s *Store) PutSender(ctx context.Context, sd openwaba.Sender) error {
	if sd.CreatedAt.IsZero() {
		sd.CreatedAt = s.now()
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		n, err := affected(tx.exec(ctx, `
			INSERT INTO senders (number, account_id, phone_number_id, waba_id, mps, created_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (number) DO UPDATE SET
				phone_number_id = excluded.phone_number_id,
				waba_id = excluded.waba_id,
				mps = excluded.mps
			WHERE senders.account_id = excluded.account_id`,
			sd.Number, sd.AccountID, nullString(sd.PhoneNumberID), sd.WABAID, sd.MPS, ms(sd.CreatedAt)))
		if err != nil {
			return s.sentinel(err)
		}
		if n == 0 {
			return openwaba.ErrSenderTaken
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put sender %s: %w", sd.Number, err)
	}
	return nil
}

// Sender finds a number of the account.
func (s *Store) Sender(ctx context.Context, accountID int64, number string) (openwaba.Sender, error) {
	sd, err := scanSender(s.read.row(ctx,
		`SELECT `+senderColumns+` FROM senders WHERE number = ? AND account_id = ?`, number, accountID))
	if err != nil {
		return openwaba.Sender{}, fmt.Errorf("sender %s: %w", number, notFound(err))
	}
	return sd, nil
}

// SenderByPhoneNumberID finds a sender by Meta's phone number id, as
// webhooks name it.
func (s *Store) SenderByPhoneNumberID(ctx context.Context, phoneNumberID string) (openwaba.Sender, error) {
	sd, err := scanSender(s.read.row(ctx,
		`SELECT `+senderColumns+` FROM senders WHERE phone_number_id = ?`, nullString(phoneNumberID)))
	if err != nil {
		return openwaba.Sender{}, fmt.Errorf("sender with phone number id %q: %w", phoneNumberID, notFound(err))
	}
	return sd, nil
}

// Senders lists the account's senders by number, or every sender for 0.
func (s *Store) Senders(ctx context.Context, accountID int64) ([]openwaba.Sender, error) {
	ss, err := all(ctx, s.read, scanSender, `
		SELECT `+senderColumns+` FROM senders WHERE CAST(?1 AS BIGINT) = 0 OR account_id = ?1
		ORDER BY number`+s.d.byteOrder, accountID)
	if err != nil {
		return nil, fmt.Errorf("senders: %w", err)
	}
	return ss, nil
}

// RemoveSender deletes the sender; an unknown number is ErrNotFound. Its
// messages stay: they name the number, not the row.
func (s *Store) RemoveSender(ctx context.Context, number string) error {
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `DELETE FROM senders WHERE number = ?`, number))
	})
	if err != nil {
		return fmt.Errorf("remove sender %s: %w", number, err)
	}
	return nil
}
