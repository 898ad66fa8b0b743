package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/openwaba/openwaba"
)

// The balance is a cache of the ledger: every change to accounts.balance is
// made together with its ledger row, inside one write op.

// credit adds amount to the balance, books it and returns the new balance.
func credit(ctx context.Context, tx *sql.Tx, accountID int64, amount openwaba.Micros, reason string, messageID int64, at time.Time) (openwaba.Micros, error) {
	var balance openwaba.Micros
	err := tx.QueryRowContext(ctx,
		`UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance`,
		amount, accountID).Scan(&balance)
	if err != nil {
		return 0, notFound(err)
	}
	return balance, book(ctx, tx, accountID, amount, reason, messageID, at)
}

// book writes one ledger row; the caller has changed the balance.
func book(ctx context.Context, tx *sql.Tx, accountID int64, amount openwaba.Micros, reason string, messageID int64, at time.Time) error {
	msg := sql.NullInt64{Int64: messageID, Valid: messageID != 0}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO ledger (account_id, amount, reason, message_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		accountID, amount, reason, msg, ms(at))
	return err
}
