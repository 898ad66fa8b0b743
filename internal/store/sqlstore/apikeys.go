package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

// CreateAPIKey stores a key of an existing account. A hash that is already
// stored is ErrConflict; an unknown account is ErrNotFound.
func (s *Store) CreateAPIKey(ctx context.Context, k openwaba.APIKey) (openwaba.APIKey, error) {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	k.CreatedAt = openwaba.TruncateMS(k.CreatedAt)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromOptMS(optMS(k.ExpiresAt)), fromOptMS(optMS(k.RevokedAt)), fromOptMS(optMS(k.LastUsedAt))
	k.Name = openwaba.StoredText(k.Name)
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return s.sentinel(tx.row(ctx, `
			INSERT INTO api_keys (account_id, name, hash, scopes, created_at, expires_at, revoked_at, last_used_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			k.AccountID, k.Name, k.Hash, joinScopes(k.Scopes), ms(k.CreatedAt),
			optMS(k.ExpiresAt), optMS(k.RevokedAt), optMS(k.LastUsedAt)).Scan(&k.ID))
	})
	if err != nil {
		return openwaba.APIKey{}, fmt.Errorf("create API key for account %d: %w", k.AccountID, err)
	}
	return k, nil
}

const apiKeyColumns = `id, account_id, name, hash, scopes, created_at, expires_at, revoked_at, last_used_at`

func scanAPIKey(sc scanner) (openwaba.APIKey, error) {
	var k openwaba.APIKey
	var scopes string
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := sc.Scan(&k.ID, &k.AccountID, &k.Name, &k.Hash, &scopes, &created, &expires, &revoked, &used); err != nil {
		return openwaba.APIKey{}, err
	}
	k.Scopes = splitScopes(scopes)
	k.CreatedAt = fromMS(created)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromOptMS(expires), fromOptMS(revoked), fromOptMS(used)
	return k, nil
}

// APIKeyByHash finds a key by the SHA-256 hash of its secret, whether or not
// it is still usable (see APIKey.Usable).
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (openwaba.APIKey, error) {
	k, err := scanAPIKey(s.read.row(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if err != nil {
		return openwaba.APIKey{}, fmt.Errorf("API key: %w", notFound(err))
	}
	return k, nil
}

// APIKeys lists the account's keys by id.
func (s *Store) APIKeys(ctx context.Context, accountID int64) ([]openwaba.APIKey, error) {
	ks, err := all(ctx, s.read, scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("API keys of account %d: %w", accountID, err)
	}
	return ks, nil
}

// RevokeAPIKey revokes a key of the account; a revoked key keeps the time
// it was first revoked.
func (s *Store) RevokeAPIKey(ctx context.Context, accountID, keyID int64, at time.Time) (openwaba.APIKey, error) {
	var k openwaba.APIKey
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		var err error
		k, err = scanAPIKey(tx.row(ctx, `
			UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?)
			WHERE id = ? AND account_id = ? RETURNING `+apiKeyColumns, ms(at), keyID, accountID))
		return notFound(err)
	})
	if err != nil {
		return openwaba.APIKey{}, fmt.Errorf("revoke API key %d of account %d: %w", keyID, accountID, err)
	}
	return k, nil
}

// TouchAPIKey moves the key's last-used time forward to at.
func (s *Store) TouchAPIKey(ctx context.Context, keyID int64, at time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		_, err := tx.exec(ctx, `
			UPDATE api_keys SET last_used_at = ?1
			WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`, ms(at), keyID)
		return err
	})
	if err != nil {
		return fmt.Errorf("touch API key %d: %w", keyID, err)
	}
	return nil
}
