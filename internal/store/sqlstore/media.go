package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openwaba/openwaba"
)

// Files are kept in the database on both engines, in chunks
// (openwaba.MediaChunkSize): every node of a PostgreSQL deployment serves
// every file, and each chunk is its own write, so a 100 MB upload never
// holds SQLite's single writer for long. A file is served once complete.

const mediaColumns = `id, account_id, mime_type, filename, size, sha256, created_at, expires_at`

func scanMedia(sc scanner) (openwaba.MediaFile, error) {
	var f openwaba.MediaFile
	var created, expires int64
	err := sc.Scan(&f.ID, &f.AccountID, &f.MIMEType, &f.Filename, &f.Size, &f.SHA256, &created, &expires)
	f.CreatedAt, f.ExpiresAt = fromMS(created), fromMS(expires)
	return f, err
}

// CreateMedia starts a file of the account. CreatedAt defaults to now and
// ExpiresAt to CreatedAt plus the account's retention (MediaRetention, or
// openwaba.DefaultMediaRetention).
func (s *Store) CreateMedia(ctx context.Context, f openwaba.MediaFile) (openwaba.MediaFile, error) {
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	f.CreatedAt = openwaba.TruncateMS(f.CreatedAt)
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if f.ExpiresAt.IsZero() {
			var retention int64
			if err := tx.row(ctx, `SELECT media_retention FROM accounts WHERE id = ?`, f.AccountID).Scan(&retention); err != nil {
				return notFound(err)
			}
			keep := time.Duration(retention) * time.Millisecond
			if keep <= 0 {
				keep = openwaba.DefaultMediaRetention
			}
			f.ExpiresAt = f.CreatedAt.Add(keep)
		}
		return s.sentinel(tx.row(ctx, `
			INSERT INTO media_files (account_id, mime_type, filename, size, created_at, expires_at)
			VALUES (?, ?, ?, 0, ?, ?) RETURNING id`,
			f.AccountID, f.MIMEType, f.Filename, ms(f.CreatedAt), ms(f.ExpiresAt)).Scan(&f.ID))
	})
	if err != nil {
		return openwaba.MediaFile{}, fmt.Errorf("create media file: %w", err)
	}
	f.ExpiresAt = openwaba.TruncateMS(f.ExpiresAt)
	return f, nil
}

// PutMediaChunk writes chunk n of an unfinished file; a finished or
// unknown file is ErrNotFound.
func (s *Store) PutMediaChunk(ctx context.Context, fileID int64, n int, data []byte) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `
			INSERT INTO media_chunks (file_id, n, data)
			SELECT id, ?, ? FROM media_files WHERE id = ? AND complete = ?`, n, data, fileID, false))
	})
	if err != nil {
		return fmt.Errorf("write chunk %d of media file %d: %w", n, fileID, err)
	}
	return nil
}

func finishMedia(ctx context.Context, tx *db, fileID, size int64, sum []byte) error {
	return affectedOne(tx.exec(ctx, `UPDATE media_files SET complete = ?, size = ?, sha256 = ? WHERE id = ? AND complete = ?`,
		true, size, sum, fileID, false))
}

// FinishMedia completes a file with its size and hash.
func (s *Store) FinishMedia(ctx context.Context, fileID, size int64, sum []byte) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error { return finishMedia(ctx, tx, fileID, size, sum) })
	if err != nil {
		return fmt.Errorf("finish media file %d: %w", fileID, err)
	}
	return nil
}

// Media finds a complete file of the account (expired or not: callers
// ask openwaba.MediaFile.Expired).
func (s *Store) Media(ctx context.Context, accountID, id int64) (openwaba.MediaFile, error) {
	f, err := scanMedia(s.read.row(ctx, `SELECT `+mediaColumns+` FROM media_files
		WHERE id = ? AND account_id = ? AND complete = ?`, id, accountID, true))
	if err != nil {
		return openwaba.MediaFile{}, fmt.Errorf("media file %d: %w", id, notFound(err))
	}
	return f, nil
}

// MediaChunk reads chunk n of a file.
func (s *Store) MediaChunk(ctx context.Context, fileID int64, n int) ([]byte, error) {
	var data []byte
	err := s.read.row(ctx, `SELECT data FROM media_chunks WHERE file_id = ? AND n = ?`, fileID, n).Scan(&data)
	if err != nil {
		return nil, fmt.Errorf("chunk %d of media file %d: %w", n, fileID, notFound(err))
	}
	return data, nil
}

// DeleteMedia deletes a file of the account; its chunks go with it.
func (s *Store) DeleteMedia(ctx context.Context, accountID, id int64) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `DELETE FROM media_files WHERE id = ? AND account_id = ?`, id, accountID))
	})
	if err != nil {
		return fmt.Errorf("delete media file %d: %w", id, err)
	}
	return nil
}

// abandonedAfter is how long an unfinished file is kept: an upload or a
// download that died leaves one behind.
const abandonedAfter = 24 * time.Hour

// DeleteExpiredMedia deletes up to limit expired or abandoned files.
func (s *Store) DeleteExpiredMedia(ctx context.Context, now time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		var err error
		n, err = affected(tx.exec(ctx, `DELETE FROM media_files WHERE id IN (
			SELECT id FROM media_files WHERE expires_at <= ?1 OR (complete = ?2 AND created_at <= ?3)
			ORDER BY id LIMIT ?4)`, ms(now), false, ms(now.Add(-abandonedAfter)), limit))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired media: %w", err)
	}
	return int(n), nil
}

// ClaimMediaDownloads leases up to limit due downloads, oldest due first;
// claimers on PostgreSQL skip each other's rows.
func (s *Store) ClaimMediaDownloads(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]openwaba.MediaDownload, error) {
	if limit <= 0 {
		return nil, nil
	}
	due := s.d.greatest + `(due_at, lease_until)`
	// Read first: the downloader asks every second, and a write (on
	// SQLite a turn of the one writer) only when something is due.
	var one int
	err := s.read.row(ctx, `SELECT 1 FROM media_downloads WHERE `+due+` <= ? LIMIT 1`, ms(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim media downloads: %w", err)
	}
	var out []openwaba.MediaDownload
	err = s.write(ctx, func(ctx context.Context, tx *db) error {
		ids, err := all(ctx, tx, scanValue[int64], `
			UPDATE media_downloads SET lease_until = ?1, attempts = attempts + 1
			WHERE inbound_id IN (
				SELECT inbound_id FROM media_downloads WHERE `+due+` <= ?2
				ORDER BY `+due+`, inbound_id LIMIT ?3`+s.d.skipLocked+`)
			RETURNING inbound_id`, ms(now.Add(lease)), ms(now), limit)
		if err != nil || len(ids) == 0 {
			out = nil
			return err
		}
		list, err := s.list(ids)
		if err != nil {
			return err
		}
		out, err = all(ctx, tx, func(sc scanner) (openwaba.MediaDownload, error) {
			var d openwaba.MediaDownload
			var media string
			var created int64
			err := sc.Scan(&d.InboundID, &d.AccountID, &d.Sender, &d.Attempts, &d.LastError, &created, &media)
			d.CreatedAt = fromMS(created)
			if err == nil {
				err = json.Unmarshal([]byte(media), &d.Media)
			}
			return d, err
		}, `SELECT d.inbound_id, d.account_id, d.sender, d.attempts, d.last_error, d.created_at, m.media
			FROM media_downloads d JOIN inbound_messages m ON m.id = d.inbound_id
			WHERE d.inbound_id `+s.d.in("?")+` ORDER BY d.inbound_id`, list)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim media downloads: %w", err)
	}
	return out, nil
}

// RetryMediaDownload makes a download due at next, unleased.
func (s *Store) RetryMediaDownload(ctx context.Context, inboundID int64, next time.Time, lastError string) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `UPDATE media_downloads SET due_at = ?, lease_until = 0, last_error = ? WHERE inbound_id = ?`,
			ms(next), openwaba.StoredText(lastError), inboundID))
	})
	if err != nil {
		return fmt.Errorf("retry media download of inbound message %d: %w", inboundID, err)
	}
	return nil
}

// MediaDownloaded completes the file, links it to the inbound message,
// removes the download and puts the wa_mo in the outbox: one transaction,
// so the webhook never names a file that is not there, and a file that is
// there always has its webhook.
func (s *Store) MediaDownloaded(ctx context.Context, inboundID, fileID, size int64, sum []byte) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		if err := finishMedia(ctx, tx, fileID, size, sum); err != nil {
			return err
		}
		return s.settleDownload(ctx, tx, inboundID, fileID, "")
	})
	if err != nil {
		return fmt.Errorf("store media of inbound message %d: %w", inboundID, err)
	}
	return nil
}

// MediaDownloadFailed gives the download up; the wa_mo goes without file.
func (s *Store) MediaDownloadFailed(ctx context.Context, inboundID int64, errText string) error {
	if errText == "" {
		errText = "download failed"
	}
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		return s.settleDownload(ctx, tx, inboundID, 0, errText)
	})
	if err != nil {
		return fmt.Errorf("give up media download of inbound message %d: %w", inboundID, err)
	}
	return nil
}

// settleDownload ends the download of inbound message inboundID with a
// file or an error and queues its wa_mo. A download that is gone (another
// node settled it) is ErrNotFound, and nothing is queued twice.
func (s *Store) settleDownload(ctx context.Context, tx *db, inboundID, fileID int64, errText string) error {
	if err := affectedOne(tx.exec(ctx, `DELETE FROM media_downloads WHERE inbound_id = ?`, inboundID)); err != nil {
		return err
	}
	var accountID, received int64
	var sender, key string
	if err := tx.row(ctx, `UPDATE inbound_messages SET media_file_id = ?, media_error = ? WHERE id = ?
		RETURNING account_id, sender, from_number, received_at`, fileID, openwaba.StoredText(errText), inboundID).
		Scan(&accountID, &sender, &key, &received); err != nil {
		return notFound(err)
	}
	return enqueue(ctx, tx, accountID, sender, []openwaba.HookEvent{openwaba.HookWAMO}, event{
		OrderKey: openwaba.ConversationOrderKey(sender, key), InboundID: inboundID, CreatedAt: fromMS(received),
	})
}

// UploadedMedia returns WhatsApp's media id for (sender, sum) if it is
// still valid at now.
func (s *Store) UploadedMedia(ctx context.Context, sender string, sum []byte, now time.Time) (string, bool, error) {
	var id string
	err := s.read.row(ctx, `SELECT meta_id FROM media_uploads WHERE sender = ? AND sha256 = ? AND expires_at > ?`,
		sender, sum, ms(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("uploaded media of %s: %w", sender, err)
	}
	return id, true, nil
}

// PutUploadedMedia remembers WhatsApp's media id for (sender, sum).
func (s *Store) PutUploadedMedia(ctx context.Context, sender string, sum []byte, metaID string, expires time.Time) error {
	err := s.write(ctx, func(ctx context.Context, tx *db) error {
		_, err := tx.exec(ctx, `INSERT INTO media_uploads (sender, sha256, meta_id, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (sender, sha256) DO UPDATE SET meta_id = excluded.meta_id, expires_at = excluded.expires_at`,
			sender, sum, metaID, ms(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("remember uploaded media of %s: %w", sender, err)
	}
	return nil
}

// MediaSecret returns the media URL key, made by the first node that asks.
func (s *Store) MediaSecret(ctx context.Context) ([]byte, error) {
	const name = "media_url"
	var key []byte
	err := s.read.row(ctx, `SELECT value FROM server_secrets WHERE name = ?`, name).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("media secret: %w", err)
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	err = s.write(ctx, func(ctx context.Context, tx *db) error {
		if _, err := tx.exec(ctx, `INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return err
		}
		// Another node may have been first: every node uses the one kept.
		return tx.row(ctx, `SELECT value FROM server_secrets WHERE name = ?`, name).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("media secret: %w", err)
	}
	return key, nil
}

// SetMediaMode sets how the account's media given by URL is sent.
func (s *Store) SetMediaMode(ctx context.Context, accountID int64, mode openwaba.MediaMode) error {
	if _, err := openwaba.ParseMediaMode(string(mode)); err != nil {
		return fmt.Errorf("set media mode of account %d: %w", accountID, err)
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `UPDATE accounts SET media_mode = ? WHERE id = ?`, string(mode), accountID))
	})
	if err != nil {
		return fmt.Errorf("set media mode of account %d: %w", accountID, err)
	}
	return nil
}

// SetMediaRetention sets how long the account's new files are kept.
func (s *Store) SetMediaRetention(ctx context.Context, accountID int64, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("set media retention of account %d: negative %s", accountID, d)
	}
	err := s.writeCached(ctx, func(ctx context.Context, tx *db) error {
		return affectedOne(tx.exec(ctx, `UPDATE accounts SET media_retention = ? WHERE id = ?`, d.Milliseconds(), accountID))
	})
	if err != nil {
		return fmt.Errorf("set media retention of account %d: %w", accountID, err)
	}
	return nil
}
