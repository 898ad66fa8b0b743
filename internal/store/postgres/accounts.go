package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openwaba/openwaba"
)

const accountColumns = `id, name, currency, balance, created_at, signing_secret, time_zone`

func scanAccount(sc scanner) (openwaba.Account, error) {
	var a openwaba.Account
	var created int64
	if err := sc.Scan(&a.ID, &a.Name, &a.Currency, &a.Balance, &created, &a.SigningSecret, &a.TimeZone); err != nil {
		return openwaba.Account{}, err
	}
	a.CreatedAt = fromMS(created)
	return a, nil
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
	a.CreatedAt = fromMS(ms(a.CreatedAt))
	if _, err := openwaba.LoadTimeZone(a.TimeZone); err != nil {
		return openwaba.Account{}, fmt.Errorf("create account: %w", err)
	}
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`INSERT INTO accounts (name, currency, balance, created_at, signing_secret, time_zone)
			VALUES ($1, $2, 0, $3, $4, $5) RETURNING id`,
			a.Name, a.Currency, ms(a.CreatedAt), a.SigningSecret, a.TimeZone).Scan(&a.ID)
		if err != nil {
			return err
		}
		if a.Balance == 0 {
			return nil
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
	a, err := scanAccount(s.pool.QueryRow(ctx,
		`SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		return openwaba.Account{}, fmt.Errorf("account %d: %w", id, notFound(err))
	}
	return a, nil
}

// Accounts lists all accounts by id.
func (s *Store) Accounts(ctx context.Context) ([]openwaba.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	as, err := collect(rows, scanAccount)
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
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
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
	rows, err := s.pool.Query(ctx, `
		SELECT id, account_id, amount, reason, coalesce(message_id, 0), created_at
		FROM ledger WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("ledger of account %d: %w", accountID, err)
	}
	es, err := collect(rows, func(sc scanner) (openwaba.LedgerEntry, error) {
		var e openwaba.LedgerEntry
		var created int64
		err := sc.Scan(&e.ID, &e.AccountID, &e.Amount, &e.Reason, &e.MessageID, &created)
		e.CreatedAt = fromMS(created)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger of account %d: %w", accountID, err)
	}
	return es, nil
}

// SetSigningSecret sets (or, with "", clears) the account's signing secret.
func (s *Store) SetSigningSecret(ctx context.Context, accountID int64, secret string) error {
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, `UPDATE accounts SET signing_secret = $1 WHERE id = $2`, secret, accountID))
	})
	if err != nil {
		return fmt.Errorf("set signing secret of account %d: %w", accountID, err)
	}
	return nil
}

// SetAccountTimeZone sets the zone the account's delay dates are read in.
// The name is checked here, not only by callers: a zone the gateway cannot
// load would break every later request of the account.
func (s *Store) SetAccountTimeZone(ctx context.Context, accountID int64, timeZone string) error {
	if _, err := openwaba.LoadTimeZone(timeZone); err != nil {
		return fmt.Errorf("set time zone of account %d: %w", accountID, err)
	}
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return affectedOne(tx.Exec(ctx, `UPDATE accounts SET time_zone = $1 WHERE id = $2`, timeZone, accountID))
	})
	if err != nil {
		return fmt.Errorf("set time zone of account %d: %w", accountID, err)
	}
	return nil
}

// affectedOne turns an Exec that changed no row into ErrNotFound.
func affectedOne(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return openwaba.ErrNotFound
	}
	return nil
}
