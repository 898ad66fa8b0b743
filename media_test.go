package openwaba_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

func TestCheckMedia(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		typ  openwaba.MessageType
		mime string
		size int64
		want string // a part of the error; "" for none
	}{
		{openwaba.TypeImage, "image/jpeg", 5 << 20, ""},
		{openwaba.TypeImage, "IMAGE/PNG", 1, ""},
		{openwaba.TypeImage, "image/jpeg", 5<<20 + 1, "an image must be at most 5 MB"},
		{openwaba.TypeImage, "image/gif", 1, `an image must be one of image/jpeg, image/png, got "image/gif"`},
		{openwaba.TypeVideo, "video/mp4", 16<<20 + 1, "at most 16 MB"},
		{openwaba.TypeVideo, "video/3gpp", 16 << 20, ""},
		{openwaba.TypeAudio, "audio/ogg; codecs=opus", 1000, ""},
		{openwaba.TypeDocument, "application/pdf", 100 << 20, ""},
		{openwaba.TypeDocument, "application/pdf", 100<<20 + 1, "at most 100 MB"},
		{openwaba.TypeSticker, "image/webp", 500 << 10, ""},
		{openwaba.TypeSticker, "image/webp", 500<<10 + 1, "at most 500 KB"},
		{openwaba.TypeText, "text/plain", 1, "carries no media"},
	} {
		err := openwaba.CheckMedia(c.typ, c.mime, c.size)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckMedia(%s, %s, %d) = %v", c.typ, c.mime, c.size, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckMedia(%s, %s, %d) = %v, want %q", c.typ, c.mime, c.size, err, c.want)
		}
	}
}

func TestParseMediaSHA256(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("x"))
	for _, c := range []struct {
		in string
		ok bool
	}{
		{hex.EncodeToString(sum[:]), true},
		{base64.StdEncoding.EncodeToString(sum[:]), true},
		{base64.RawURLEncoding.EncodeToString(sum[:]), true},
		{"<HASH>", false},
		{base64.StdEncoding.EncodeToString(sum[:16]), false},
		{"", false},
	} {
		got, ok := openwaba.ParseMediaSHA256(c.in)
		if ok != c.ok || (ok && string(got) != string(sum[:])) {
			t.Errorf("ParseMediaSHA256(%q) = %x, %v", c.in, got, ok)
		}
	}
}

func TestNextMediaAttempt(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		attempts  int
		now       time.Time
		permanent bool
		base      time.Duration
		want      time.Duration // after now; -1: given up
	}{
		{1, t0, false, 0, 30 * time.Second},
		{2, t0, false, 0, time.Minute},
		{4, t0, false, 0, 4 * time.Minute},
		{4, t0, false, 10 * time.Minute, 15 * time.Minute}, // capped
		{2, t0, false, time.Millisecond, 2 * time.Millisecond},
		{1, t0, true, 0, -1},
		{openwaba.MaxMediaAttempts, t0, false, 0, -1},
		{3, t0.Add(58*time.Minute + time.Second), false, 0, -1}, // past the deadline
	} {
		next, ok := openwaba.NextMediaAttempt(openwaba.MediaDownload{Attempts: c.attempts, CreatedAt: t0}, c.now, c.permanent, c.base)
		if (c.want < 0) == ok || (ok && next.Sub(c.now) != c.want) {
			t.Errorf("NextMediaAttempt(%d, %s, %v, %s) = %s %v, want +%s", c.attempts, c.now, c.permanent, c.base, next, ok, c.want)
		}
	}
}

// FuzzParseMediaSHA256 reads any text as a hash WhatsApp wrote: what is
// accepted is 32 bytes, and reads the same again when written in hex.
func FuzzParseMediaSHA256(f *testing.F) {
	sum := sha256.Sum256([]byte("seed"))
	f.Add(hex.EncodeToString(sum[:]))
	f.Add(base64.StdEncoding.EncodeToString(sum[:]))
	f.Add("<HASH>")
	f.Fuzz(func(t *testing.T, s string) {
		b, ok := openwaba.ParseMediaSHA256(s)
		if !ok {
			return
		}
		if len(b) != sha256.Size {
			t.Fatalf("%q read as %d bytes", s, len(b))
		}
		if again, ok := openwaba.ParseMediaSHA256(hex.EncodeToString(b)); !ok || string(again) != string(b) {
			t.Fatalf("hex of %q does not read back", s)
		}
	})
}
