package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

const senderColumns = `number, account_id, coalesce(phone_number_id, ''), waba_id, mps, created_at`

func scanSender(sc scanner) (openwaba.Sender, error) {
	var sd openwaba.Sender
	var created int64
	if err := sc.Scan(&sd.Number, &sd.AccountID, &sd.PhoneNumberID, &sd.WABAID, &sd.MPS, &created); err != nil {
		return openwaba.Sender{}, err
	}
	sd.CreatedAt = fromMS(created)
	return sd, nil
}

// PutSender creates the sender or updates the one with the same number,
// keeping its CreatedAt. A phone number id that another number already has
// is ErrConflict; an unknown account is ErrNotFound.
func (s *Store) PutSender(ctx context.Context, sd openwaba.Sender) error {
	if sd.CreatedAt.IsZero() {
		sd.CreatedAt = s.now()
	}
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO senders (number, account_id, phone_number_id, waba_id, mps, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (number) DO UPDATE SET
				account_id = excluded.account_id,
				phone_number_id = excluded.phone_number_id,
				waba_id = excluded.waba_id,
				mps = excluded.mps`,
			sd.Number, sd.AccountID, nullString(sd.PhoneNumberID), sd.WABAID, sd.MPS, ms(sd.CreatedAt))
		switch {
		case isUnique(err):
			return openwaba.ErrConflict
		case isForeignKey(err):
			return openwaba.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("put sender %s: %w", sd.Number, err)
	}
	return nil
}

// Sender finds a number of the account.
func (s *Store) Sender(ctx context.Context, accountID int64, number string) (openwaba.Sender, error) {
	sd, err := scanSender(s.pool.QueryRow(ctx,
		`SELECT `+senderColumns+` FROM senders WHERE number = $1 AND account_id = $2`, number, accountID))
	if err != nil {
		return openwaba.Sender{}, fmt.Errorf("sender %s: %w", number, notFound(err))
	}
	return sd, nil
}

// SenderByPhoneNumberID finds a sender by Meta's phone number id, as
// webhooks name it.
func (s *Store) SenderByPhoneNumberID(ctx context.Context, phoneNumberID string) (openwaba.Sender, error) {
	sd, err := scanSender(s.pool.QueryRow(ctx,
		`SELECT `+senderColumns+` FROM senders WHERE phone_number_id = $1`, nullString(phoneNumberID)))
	if err != nil {
		return openwaba.Sender{}, fmt.Errorf("sender with phone number id %q: %w", phoneNumberID, notFound(err))
	}
	return sd, nil
}

// Senders lists the account's senders by number, or every sender for 0.
func (s *Store) Senders(ctx context.Context, accountID int64) ([]openwaba.Sender, error) {
	q := `SELECT ` + senderColumns + ` FROM senders WHERE account_id = $1 ORDER BY number`
	args := []any{accountID}
	if accountID == 0 {
		q, args = `SELECT `+senderColumns+` FROM senders ORDER BY number`, nil
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("senders: %w", err)
	}
	ss, err := collect(rows, scanSender)
	if err != nil {
		return nil, fmt.Errorf("senders: %w", err)
	}
	return ss, nil
}

// RemoveSender deletes the sender; an unknown number is ErrNotFound. Its
// messages stay: they name the number, not the row.
func (s *Store) RemoveSender(ctx context.Context, number string) error {
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM senders WHERE number = $1`, number)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return openwaba.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove sender %s: %w", number, err)
	}
	return nil
}
