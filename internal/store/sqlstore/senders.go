package sqlstore

import (
	"context"
	"fmt"

	"github.com/openwaba/openwaba"
)

const senderColumns = `number, account_id, coalesce(phone_number_id, ''), waba_id, mps, created_at`

func scanSender(sc scanner) (openwaba.Sender, error) {
	var sd openwaba.Sender
	var created int64
	err := sc.Scan(&sd.Number, &sd.AccountID, &sd.PhoneNumberID, &sd.WABAID, &sd.MPS, &created)
	sd.CreatedAt = fromMS(created)
	return sd, err
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
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
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
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `DELETE FROM senders WHERE number = ?`, number))
	})
	if err != nil {
		return fmt.Errorf("remove sender %s: %w", number, err)
	}
	return nil
}
