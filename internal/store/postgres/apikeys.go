package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openwaba/openwaba"
)

// CreateAPIKey stores a key of an existing account. A hash that is already
// stored is ErrConflict; an unknown account is ErrNotFound.
func (s *Store) CreateAPIKey(ctx context.Context, k openwaba.APIKey) (openwaba.APIKey, error) {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	k.CreatedAt = fromMS(ms(k.CreatedAt))
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromOptMS(optMS(k.ExpiresAt)), fromOptMS(optMS(k.RevokedAt)), fromOptMS(optMS(k.LastUsedAt))
	err := s.write(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO api_keys (account_id, name, hash, scopes, created_at, expires_at, revoked_at, last_used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			k.AccountID, k.Name, k.Hash, joinScopes(k.Scopes), ms(k.CreatedAt),
			optMS(k.ExpiresAt), optMS(k.RevokedAt), optMS(k.LastUsedAt)).Scan(&k.ID)
		switch {
		case isUnique(err):
			return openwaba.ErrConflict
		case isForeignKey(err):
			return openwaba.ErrNotFound
		}
		return err
	})
	if err != nil {
		return openwaba.APIKey{}, fmt.Errorf("create API key for account %d: %w", k.AccountID, err)
	}
	return k, nil
}

// APIKeyByHash finds a key by the SHA-256 hash of its secret, whether or not
// it is still usable (see APIKey.Usable).
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (openwaba.APIKey, error) {
	var k openwaba.APIKey
	var scopes string
	var created int64
	var expires, revoked, used *int64
	err := s.pool.QueryRow(ctx, `
		SELECT id, account_id, name, hash, scopes, created_at, expires_at, revoked_at, last_used_at
		FROM api_keys WHERE hash = $1`, hash).
		Scan(&k.ID, &k.AccountID, &k.Name, &k.Hash, &scopes, &created, &expires, &revoked, &used)
	if err != nil {
		return openwaba.APIKey{}, fmt.Errorf("API key: %w", notFound(err))
	}
	k.Scopes = splitScopes(scopes)
	k.CreatedAt = fromMS(created)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromOptMS(expires), fromOptMS(revoked), fromOptMS(used)
	return k, nil
}
