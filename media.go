package openwaba

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// MediaChunkSize is how many bytes of a file one row of the store holds:
// a Range request or an upload never holds more than a chunk of a file in
// memory, and a 100 MB document is 200 rows.
const MediaChunkSize = 512 << 10

// DefaultMediaRetention is how long a stored file is kept when neither the
// configuration nor the account says otherwise.
const DefaultMediaRetention = 30 * 24 * time.Hour

// MaxMediaRetentionDays bounds an account's media retention: ten years
// is "keep"; more says a typo.
const MaxMediaRetentionDays = 3650

// MediaRetentionDays is an account's media retention given in days (the
// API's and the command line's unit); 0 is the gateway's default.
func MediaRetentionDays(days int64) (time.Duration, error) {
	if days < 0 || days > MaxMediaRetentionDays {
		return 0, fmt.Errorf("must be a whole number from 0 to %d", MaxMediaRetentionDays)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// MediaFile is a file the gateway keeps: one a user sent (downloaded from
// WhatsApp) or one a customer uploaded to send. Its bytes are in the store
// in chunks of MediaChunkSize.
type MediaFile struct {
	ID        int64
	AccountID int64
	MIMEType  string
	Filename  string
	Size      int64
	SHA256    []byte // of the bytes; set once the file is complete
	CreatedAt time.Time
	ExpiresAt time.Time // when the sweeper deletes it
}

// Expired reports whether the file's retention has ended at now: it is
// no longer served, and the sweeper deletes it.
func (f MediaFile) Expired(now time.Time) bool { return !now.Before(f.ExpiresAt) }

// MediaRef is what an inbound message says of its media: WhatsApp's media
// id to download it with, and what WhatsApp says of the file.
type MediaRef struct {
	Type     string `json:"type"` // image, video, audio, document, sticker
	ID       string `json:"id"`   // WhatsApp's media id
	MIMEType string `json:"mime_type,omitempty"`
	SHA256   string `json:"sha256,omitempty"` // as WhatsApp wrote it (base64 or hex)
	Filename string `json:"filename,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Voice    bool   `json:"voice,omitempty"`
	Animated bool   `json:"animated,omitempty"`
}

// InboundMediaTypes are the inbound message types that carry a file.
var InboundMediaTypes = []string{"image", "video", "audio", "document", "sticker"}

// MediaDownload is a queued download of an inbound message's media.
type MediaDownload struct {
	InboundID int64
	AccountID int64
	Sender    string
	Media     MediaRef
	Attempts  int // including the one being made now
	LastError string
	CreatedAt time.Time // when the message was received
}

// MediaDownloadDeadline is how long the gateway keeps trying to download
// an inbound message's media before the wa_mo webhook goes without it;
// MaxMediaAttempts bounds the attempts within it: Meta blocks a number's
// GET /{media-id} for an hour after five failed requests in one.
const (
	MediaDownloadDeadline = time.Hour
	MaxMediaAttempts      = 5
	DefaultMediaRetry     = 30 * time.Second
)

// NextMediaAttempt says when a download that failed after d.Attempts
// attempts is tried again (base, DefaultMediaRetry when zero, doubling,
// at most 15 minutes apart), or that it is given up: the error is
// permanent, MaxMediaAttempts were made, or the next attempt would come
// after MediaDownloadDeadline from the message's receipt.
func NextMediaAttempt(d MediaDownload, now time.Time, permanent bool, base time.Duration) (time.Time, bool) {
	if permanent || d.Attempts >= MaxMediaAttempts {
		return time.Time{}, false
	}
	if base <= 0 {
		base = DefaultMediaRetry
	}
	wait := base
	for i := 1; i < d.Attempts && wait < 15*time.Minute; i++ {
		wait *= 2
	}
	next := now.Add(min(wait, 15*time.Minute))
	if next.After(d.CreatedAt.Add(MediaDownloadDeadline)) {
		return time.Time{}, false
	}
	return next, true
}

// ParseMediaSHA256 reads a SHA-256 as WhatsApp writes it: base64 in
// webhooks, lower-case hex in GET /{media-id}.
func ParseMediaSHA256(s string) ([]byte, bool) {
	if len(s) == 2*sha256.Size {
		if b, err := hex.DecodeString(s); err == nil {
			return b, true
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == sha256.Size {
			return b, true
		}
	}
	return nil, false
}

// MediaLimit is what WhatsApp accepts for one type of media.
type MediaLimit struct {
	MIMETypes []string
	MaxSize   int64
	// MaxAnimated is the limit of an animated sticker (0: MaxSize).
	MaxAnimated int64
}

// MediaLimits is Meta's table of supported media
// (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types).
var MediaLimits = map[MessageType]MediaLimit{
	TypeImage: {MIMETypes: []string{"image/jpeg", "image/png"}, MaxSize: 5 << 20},
	TypeVideo: {MIMETypes: []string{"video/mp4", "video/3gpp"}, MaxSize: 16 << 20},
	TypeAudio: {MIMETypes: []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, MaxSize: 16 << 20},
	TypeDocument: {MIMETypes: []string{"text/plain", "application/pdf", "application/msword",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		MaxSize: 100 << 20},
	TypeSticker: {MIMETypes: []string{"image/webp"}, MaxSize: 100 << 10, MaxAnimated: 500 << 10},
}

// MaxMediaSize is the largest file any media type takes: what an upload
// may be at most.
const MaxMediaSize = 100 << 20

// BaseMIMEType is a MIME type without parameters, in lower case
// ("audio/ogg; codecs=opus" is audio/ogg).
func BaseMIMEType(mime string) string {
	base, _, _ := strings.Cut(mime, ";")
	return strings.ToLower(strings.TrimSpace(base))
}

// CheckMedia says whether a file of the given MIME type and size may be
// sent as a message of type t, by MediaLimits; the error names the rule.
// Stickers are checked against the animated limit: the gateway does not
// look into WebP files.
func CheckMedia(t MessageType, mime string, size int64) error {
	l, ok := MediaLimits[t]
	if !ok {
		return fmt.Errorf("type %s carries no media", t)
	}
	base := BaseMIMEType(mime)
	found := false
	for _, m := range l.MIMETypes {
		found = found || m == base
	}
	if !found {
		return fmt.Errorf("%s must be one of %s, got %q", article(t), strings.Join(l.MIMETypes, ", "), base)
	}
	limit := max(l.MaxSize, l.MaxAnimated)
	if size > limit {
		return fmt.Errorf("%s must be at most %s, got %s", article(t), byteSize(limit), byteSize(size))
	}
	return nil
}

func article(t MessageType) string {
	if t == TypeImage || t == TypeAudio {
		return "an " + string(t)
	}
	return "a " + string(t)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// MediaStore keeps files in chunks, the downloads of inbound media, and
// the media ids WhatsApp gave to uploaded files.
type MediaStore interface {
	// CreateMedia starts a file of the account; it is not served until
	// FinishMedia (or MediaDownloaded) completes it. f.ID is set.
	CreateMedia(ctx context.Context, f MediaFile) (MediaFile, error)
	// PutMediaChunk writes chunk n (from 0) of an unfinished file.
	PutMediaChunk(ctx context.Context, fileID int64, n int, data []byte) error
	// FinishMedia completes a file with its size and hash.
	FinishMedia(ctx context.Context, fileID, size int64, sum []byte) error
	// Media finds a complete file of the account (see Expired).
	Media(ctx context.Context, accountID, id int64) (MediaFile, error)
	// MediaChunk reads chunk n of a file.
	MediaChunk(ctx context.Context, fileID int64, n int) ([]byte, error)
	// DeleteMedia deletes a file of the account and its chunks.
	DeleteMedia(ctx context.Context, accountID, id int64) error
	// DeleteExpiredMedia deletes up to limit files expired at now, and
	// files left unfinished for a day (an upload or download that died);
	// it returns how many it deleted.
	DeleteExpiredMedia(ctx context.Context, now time.Time, limit int) (int, error)

	// ClaimMediaDownloads leases up to limit due downloads.
	ClaimMediaDownloads(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]MediaDownload, error)
	// RetryMediaDownload makes a claimed download due again at next.
	RetryMediaDownload(ctx context.Context, inboundID int64, next time.Time, lastError string) error
	// MediaDownloaded completes file fileID (as FinishMedia), makes it
	// the inbound message's media, removes the download and puts the
	// message's wa_mo in the outbox, in one transaction.
	MediaDownloaded(ctx context.Context, inboundID, fileID, size int64, sum []byte) error
	// MediaDownloadFailed gives a download up: the message keeps
	// errText as its media error, and its wa_mo goes to the outbox.
	MediaDownloadFailed(ctx context.Context, inboundID int64, errText string) error

	// UploadedMedia returns WhatsApp's media id for the file with hash
	// sum uploaded from sender, if one is valid at now.
	UploadedMedia(ctx context.Context, sender string, sum []byte, now time.Time) (string, bool, error)
	// PutUploadedMedia remembers WhatsApp's media id for (sender, sum)
	// until expires.
	PutUploadedMedia(ctx context.Context, sender string, sum []byte, metaID string, expires time.Time) error
	// MediaSecret returns the key media URLs are signed with: made once,
	// kept in the database, the same on every node.
	MediaSecret(ctx context.Context) ([]byte, error)
	// SetMediaRetention sets how long the account's new files are kept
	// (0: the gateway's default).
	SetMediaRetention(ctx context.Context, accountID int64, d time.Duration) error
	// SetMediaMode sets how the account's media given by URL is sent
	// (ParseMediaMode's modes).
	SetMediaMode(ctx context.Context, accountID int64, mode MediaMode) error
}
