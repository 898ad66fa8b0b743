// Package media moves files between WhatsApp, the store and customers:
// it writes files into the store in chunks and reads them back as an
// io.ReadSeeker (for Range requests), signs the media URLs of wa_mo
// webhooks, downloads inbound media as durable work, and uploads files to
// WhatsApp once per sender and hash.
package media

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openwaba/openwaba"
)

// ErrTooLarge is Write's answer to a file over its limit.
var ErrTooLarge = errors.New("file too large")

// Write stores what r yields as the bytes of the unfinished file f (made
// with CreateMedia), chunk by chunk, and returns its size and SHA-256; at
// most limit bytes are taken, more is ErrTooLarge. Only one chunk is held
// in memory. The caller completes the file (FinishMedia,
// MediaDownloaded).
func Write(ctx context.Context, st openwaba.MediaStore, fileID int64, r io.Reader, limit int64) (int64, []byte, error) {
	h := sha256.New()
	buf := make([]byte, openwaba.MediaChunkSize)
	var size int64
	for n := 0; ; n++ {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			size += int64(k)
			if size > limit {
				return size, nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
			}
			h.Write(buf[:k])
			if perr := st.PutMediaChunk(ctx, fileID, n, buf[:k]); perr != nil {
				return size, nil, perr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return size, h.Sum(nil), nil
		}
		if err != nil {
			return size, nil, err
		}
	}
}

// Save stores r as a new, complete file of f.AccountID: CreateMedia, Write
// and FinishMedia. An unfinished file left by a failure is swept later.
func Save(ctx context.Context, st openwaba.MediaStore, f openwaba.MediaFile, r io.Reader, limit int64) (openwaba.MediaFile, error) {
	f, err := st.CreateMedia(ctx, f)
	if err != nil {
		return openwaba.MediaFile{}, err
	}
	size, sum, err := Write(ctx, st, f.ID, r, limit)
	if err != nil {
		_ = st.DeleteMedia(context.WithoutCancel(ctx), f.AccountID, f.ID)
		return openwaba.MediaFile{}, err
	}
	if err := st.FinishMedia(ctx, f.ID, size, sum); err != nil {
		return openwaba.MediaFile{}, err
	}
	f.Size, f.SHA256 = size, sum
	return f, nil
}

// Reader reads a complete file from the store: an io.ReadSeeker for
// http.ServeContent that holds one chunk at a time.
type Reader struct {
	ctx   context.Context
	st    openwaba.MediaStore
	f     openwaba.MediaFile
	off   int64
	chunk []byte // chunk n, when loaded
	n     int
}

// NewReader returns a Reader of f.
func NewReader(ctx context.Context, st openwaba.MediaStore, f openwaba.MediaFile) *Reader {
	return &Reader{ctx: ctx, st: st, f: f, n: -1}
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.off >= r.f.Size {
		return 0, io.EOF
	}
	n := int(r.off / openwaba.MediaChunkSize)
	if n != r.n {
		c, err := r.st.MediaChunk(r.ctx, r.f.ID, n)
		if err != nil {
			return 0, err
		}
		r.chunk, r.n = c, n
	}
	at := int(r.off - int64(n)*openwaba.MediaChunkSize)
	if at >= len(r.chunk) {
		return 0, fmt.Errorf("media file %d: chunk %d is short", r.f.ID, n)
	}
	k := copy(p, r.chunk[at:])
	r.off += int64(k)
	return k, nil
}

// Seek implements io.Seeker.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.f.Size
	default:
		return 0, errors.New("media: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("media: negative position")
	}
	r.off = offset
	return offset, nil
}

// Expiry is when a file of the account made at now is deleted: after the
// account's retention, or the gateway's (def) when it sets none.
func Expiry(ctx context.Context, st openwaba.AccountStore, accountID int64, def time.Duration, now time.Time) (time.Time, error) {
	a, err := st.Account(ctx, accountID)
	if err != nil {
		return time.Time{}, err
	}
	keep := a.MediaRetention
	if keep <= 0 {
		keep = def
	}
	if keep <= 0 {
		keep = openwaba.DefaultMediaRetention
	}
	return now.Add(keep), nil
}
