package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

// The balance is a cache of the ledger: every change to accounts.balance is
// made together with its ledger row, inside one transaction.

// credit adds amount to the balance, books it and returns the new balance.
func credit(ctx context.Context, tx pgx.Tx, accountID int64, amount openwaba.Micros, reason string, messageID int64, at time.Time) (openwaba.Micros, error) {
	var balance openwaba.Micros
	err := tx.QueryRow(ctx,
		`UPDATE accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance`,
		amount, accountID).Scan(&balance)
	if err != nil {
		return 0, notFound(err)
	}
	return balance, book(ctx, tx, accountID, amount, reason, messageID, at)
}

// book writes one ledger row; the caller has changed the balance.
func book(ctx context.Context, tx pgx.Tx, accountID int64, amount openwaba.Micros, reason string, messageID int64, at time.Time) error {
	var msg *int64
	if messageID != 0 {
		msg = &messageID
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO ledger (account_id, amount, reason, message_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		accountID, amount, reason, msg, ms(at))
	return err
}
