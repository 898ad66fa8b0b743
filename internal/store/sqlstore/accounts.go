package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

const accountColumns = `id, name, currency, balance, created_at, signing_secret, time_zone, media_retention, media_mode, opt_out_keywords, opt_in_keywords`

func scanAccount(sc scanner) (openwaba.Account, error) {
	var a openwaba.Account
	var created, retention int64
	var optOut, optIn string
	err := sc.Scan(&a.ID, &a.Name, &a.Currency, &a.Balance, &created, &a.SigningSecret, &a.TimeZone, &retention, &a.MediaMode, &optOut, &optIn)
	a.MediaRetention = time.Duration(retention) * time.Millisecond
	a.CreatedAt = fromMS(created)
	a.OptOutKeywords, a.OptInKeywords = openwaba.Keywords(optOut, nil), openwaba.Keywords(optIn, nil)
	return a, err
}

// CreateAccount stores a new account. Currency defaults to EUR and CreatedAt
// to now. A starting Balance is booked as a top-up, so that the balance
// always equals the sum of the ledger.
func (s *Store) CreateAccount(ctx context.Context, a openwaba.Account) (openwaba.Account, error) {
	if a.Currency == "" {
		a.Currency = "EUR"
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	a.CreatedAt = openwaba.TruncateMS(a.CreatedAt)
	a.Name = openwaba.StoredText(a.Name)
	if _, err := openwaba.LoadTimeZone(a.TimeZone); err != nil {
		return openwaba.Account{}, fmt.Errorf("create account: %w", err)
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		err := tx.row(ctx,
			`INSERT INTO accounts (name, currency, balance, created_at, signing_secret, time_zone) VALUES (?, ?, 0, ?, ?, ?) RETURNING id`,
			a.Name, a.Currency, ms(a.CreatedAt), a.SigningSecret, a.TimeZone).Scan(&a.ID)
		if err != nil || a.Balance == 0 {
			return err
		}
		_, err = credit(ctx, tx, a.ID, a.Balance, openwaba.ReasonTopUp, 0, a.CreatedAt)
		return err
	})
	if err != nil {
		return openwaba.Account{}, fmt.Errorf("create account: %w", err)
	}
	return a, nil
}

// Account returns the account with id.
func (s *Store) Account(ctx context.Context, id int64) (openwaba.Account, error) {
	a, err := scanAccount(s.read.row(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if err != nil {
		return openwaba.Account{}, fmt.Errorf("account %d: %w", id, notFound(err))
	}
	return a, nil
}

// Accounts lists all accounts by id.
func (s *Store) Accounts(ctx context.Context) ([]openwaba.Account, error) {
	as, err := all(ctx, s.read, scanAccount, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return as, nil
}

// Credit books amount (negative for a charge) on the account and returns
// the new balance. The balance may go below zero: Credit is the operator's
// tool, not the accept path.
func (s *Store) Credit(ctx context.Context, accountID int64, amount openwaba.Micros, reason string) (openwaba.Micros, error) {
	if reason == "" {
		reason = openwaba.ReasonTopUp
	}
	var balance openwaba.Micros
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		var err error
		balance, err = credit(ctx, tx, accountID, amount, reason, 0, s.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("credit account %d: %w", accountID, err)
	}
	return balance, nil
}

// Ledger lists the account's balance movements, oldest first.
func (s *Store) Ledger(ctx context.Context, accountID int64) ([]openwaba.LedgerEntry, error) {
	es, err := all(ctx, s.read, func(sc scanner) (openwaba.LedgerEntry, error) {
		var e openwaba.LedgerEntry
		var created int64
		err := sc.Scan(&e.ID, &e.AccountID, &e.Amount, &e.Reason, &e.MessageID, &created)
		e.CreatedAt = fromMS(created)
		return e, err
	}, `SELECT id, account_id, amount, reason, coalesce(message_id, 0), created_at
		FROM ledger WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("ledger of account %d: %w", accountID, err)
	}
	return es, nil
}

// The balance is a cache of the ledger: every change to accounts.balance is
// made together with its ledger row, inside one write.

// credit adds amount to the balance (within openwaba.Credited's limit),
// books it and returns the new balance.
func credit(ctx context.Context, tx *db, accountID int64, amount openwaba.Micros, reason string, messageID int64, at time.Time) (openwaba.Micros, error) {
	var balance openwaba.Micros
	err := tx.row(ctx, `SELECT balance FROM accounts WHERE id = ?`+tx.d.lockRows, accountID).Scan(&balance)
	if err != nil {
		return 0, notFound(err)
	}
	if balance, err = openwaba.Credited(balance, amount); err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, `UPDATE accounts SET balance = ? WHERE id = ?`, balance, accountID); err != nil {
		return 0, err
	}
	return balance, book(ctx, tx, accountID, amount, reason, messageID, at)
}

// book writes one ledger row; the caller has changed the balance.
func book(ctx context.Context, tx *db, accountID int64, amount openwaba.Micros, reason string, messageID int64, at time.Time) error {
	_, err := tx.exec(ctx,
		`INSERT INTO ledger (account_id, amount, reason, message_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		accountID, amount, reason, nullID(messageID), ms(at))
	return err
}

// SetSigningSecret sets (or, with "", clears) the account's signing secret.
func (s *Store) SetSigningSecret(ctx context.Context, accountID int64, secret string) error {
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `UPDATE accounts SET signing_secret = ? WHERE id = ?`, secret, accountID))
	})
	if err != nil {
		return fmt.Errorf("set signing secret of account %d: %w", accountID, err)
	}
	return nil
}

// SetAccountTimeZone sets the zone the account's delay dates are read in.
func (s *Store) SetAccountTimeZone(ctx context.Context, accountID int64, timeZone string) error {
	if _, err := openwaba.LoadTimeZone(timeZone); err != nil {
		return fmt.Errorf("set time zone of account %d: %w", accountID, err)
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `UPDATE accounts SET time_zone = ? WHERE id = ?`, timeZone, accountID))
	})
	if err != nil {
		return fmt.Errorf("set time zone of account %d: %w", accountID, err)
	}
	return nil
}
