package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

// UseNonce records a nonce of a signed request; one still remembered is
// ErrConflict. The primary key decides, so two gateways on one database
// cannot both accept the same nonce: the second insert waits for the first
// transaction and then fails.
func (s *Store) UseNonce(ctx context.Context, accountID int64, nonce string, now, expires time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if _, err := tx.exec(ctx, `DELETE FROM request_nonces WHERE expires_at < ?`, ms(now)); err != nil {
			return err
		}
		_, err := tx.exec(ctx,
			`INSERT INTO request_nonces (account_id, nonce, expires_at) VALUES (?, ?, ?)`, accountID, nonce, ms(expires))
		return s.sentinel(err)
	})
	if err != nil {
		return fmt.Errorf("use nonce of account %d: %w", accountID, err)
	}
	return nil
}

const idempotencyColumns = `account_id, key, request_hash, status, body, created_at, expires_at`

func scanIdempotency(sc scanner) (openwaba.IdempotencyRecord, error) {
	var r openwaba.IdempotencyRecord
	var created, expires int64
	if err := sc.Scan(&r.AccountID, &r.Key, &r.RequestHash, &r.Status, &r.Body, &created, &expires); err != nil {
		return openwaba.IdempotencyRecord{}, err
	}
	r.CreatedAt, r.ExpiresAt = fromMS(created), fromMS(expires)
	return r, nil
}

// BeginIdempotent stores r as running unless an unexpired record with its
// key exists, and returns the record in force. The check and the insert run
// in one write. Insert-or-nothing, then read: under PostgreSQL's READ
// COMMITTED a concurrent insert of the same key makes this one wait and do
// nothing, and the read that follows sees the winner's row, so of two
// requests exactly one begins.
func (s *Store) BeginIdempotent(ctx context.Context, r openwaba.IdempotencyRecord, now time.Time) (openwaba.IdempotencyRecord, bool, error) {
	r.Status, r.Body = 0, nil
	r.CreatedAt, r.ExpiresAt = fromMS(ms(r.CreatedAt)), fromMS(ms(r.ExpiresAt))
	var got openwaba.IdempotencyRecord
	var created bool
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if _, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= ?`, ms(now)); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `
			INSERT INTO idempotency_keys (account_id, key, request_hash, status, created_at, expires_at)
			VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (account_id, key) DO NOTHING`,
			r.AccountID, r.Key, r.RequestHash, ms(r.CreatedAt), ms(r.ExpiresAt))
		n, err := affected(res, s.sentinel(err))
		if err != nil {
			return err
		}
		if created = n == 1; created {
			got = r
			return nil
		}
		got, err = scanIdempotency(tx.row(ctx,
			`SELECT `+idempotencyColumns+` FROM idempotency_keys WHERE account_id = ? AND key = ?`, r.AccountID, r.Key))
		return err
	})
	if err != nil {
		return openwaba.IdempotencyRecord{}, false, fmt.Errorf("begin idempotency key of account %d: %w", r.AccountID, err)
	}
	return got, created, nil
}

// FinishIdempotent stores the response of a running record.
func (s *Store) FinishIdempotent(ctx context.Context, accountID int64, key string, status int, body []byte) error {
	if status == 0 {
		return fmt.Errorf("finish idempotency key of account %d: status 0", accountID)
	}
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `
			UPDATE idempotency_keys SET status = ?, body = ?
			WHERE account_id = ? AND key = ? AND status = 0`, status, body, accountID, key))
	})
	if err != nil {
		return fmt.Errorf("finish idempotency key of account %d: %w", accountID, err)
	}
	return nil
}

// AbandonIdempotent removes a running record.
func (s *Store) AbandonIdempotent(ctx context.Context, accountID int64, key string) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx,
			`DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND status = 0`, accountID, key))
	})
	if err != nil {
		return fmt.Errorf("abandon idempotency key of account %d: %w", accountID, err)
	}
	return nil
}

// IdempotencyRecord returns the account's record for key.
func (s *Store) IdempotencyRecord(ctx context.Context, accountID int64, key string) (openwaba.IdempotencyRecord, error) {
	r, err := scanIdempotency(s.read.row(ctx,
		`SELECT `+idempotencyColumns+` FROM idempotency_keys WHERE account_id = ? AND key = ?`, accountID, key))
	if err != nil {
		return openwaba.IdempotencyRecord{}, fmt.Errorf("idempotency key of account %d: %w", accountID, notFound(err))
	}
	return r, nil
}
