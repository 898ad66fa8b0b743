package batch

import (
	"context"
	"database/sql"
)

// SQL adapts a database/sql pool to DB. Give it a pool of one connection
// (SetMaxOpenConns(1)): a single writer is the point of the batcher, and the
// connection's write lock mode (SQLite's _txlock=immediate) comes from it.
type SQL struct{ DB *sql.DB }

var _ DB[*sql.Tx] = SQL{}

// Begin starts a transaction.
func (s SQL) Begin(ctx context.Context) (*sql.Tx, error) { return s.DB.BeginTx(ctx, nil) }

// Exec runs query on tx.
func (SQL) Exec(ctx context.Context, tx *sql.Tx, query string) error {
	_, err := tx.ExecContext(ctx, query)
	return err
}

// Commit commits tx.
func (SQL) Commit(tx *sql.Tx) error { return tx.Commit() }

// Rollback rolls tx back.
func (SQL) Rollback(tx *sql.Tx) error { return tx.Rollback() }
