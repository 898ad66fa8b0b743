package storetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

var mediaTests = []test{
	{"ChunksRoundTrip", testMediaChunks},
	{"AccountScoped", testMediaAccountScoped},
	{"Retention", testMediaRetention},
	{"SweepExpiredAndAbandoned", testMediaSweep},
	{"InboundWaitsForDownload", testMediaInboundWaits},
	{"DownloadFailedStillReports", testMediaDownloadFailed},
	{"DownloadRetryAndLease", testMediaDownloadRetry},
	{"UploadCache", testMediaUploadCache},
	{"Secret", testMediaSecret},
}

// putFile stores data as a file of the account in chunks of chunk bytes.
func putFile(t *testing.T, s openwaba.Store, accountID int64, data []byte, chunk int) openwaba.MediaFile {
	t.Helper()
	f, err := s.CreateMedia(t.Context(), openwaba.MediaFile{AccountID: accountID, MIMEType: "image/jpeg", Filename: "a.jpg", CreatedAt: t0})
	wantErr(t, "CreateMedia", err, nil)
	for n := 0; n*chunk < len(data); n++ {
		wantErr(t, "PutMediaChunk", s.PutMediaChunk(t.Context(), f.ID, n, data[n*chunk:min(len(data), (n+1)*chunk)]), nil)
	}
	sum := sha256.Sum256(data)
	wantErr(t, "FinishMedia", s.FinishMedia(t.Context(), f.ID, int64(len(data)), sum[:]), nil)
	f.Size, f.SHA256 = int64(len(data)), sum[:]
	return f
}

func testMediaChunks(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	data := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 1000)
	f := putFile(t, s, a.ID, data, 7000)
	got, err := s.Media(t.Context(), a.ID, f.ID)
	wantErr(t, "Media", err, nil)
	if got.Size != int64(len(data)) || !bytes.Equal(got.SHA256, f.SHA256) || got.MIMEType != "image/jpeg" || got.Filename != "a.jpg" {
		t.Fatalf("Media = %+v", got)
	}
	equal(t, "CreatedAt", got.CreatedAt, t0)
	var all []byte
	for n := 0; ; n++ {
		c, err := s.MediaChunk(t.Context(), f.ID, n)
		if n == 3 {
			wantErr(t, "MediaChunk past the end", err, openwaba.ErrNotFound)
			break
		}
		wantErr(t, "MediaChunk", err, nil)
		all = append(all, c...)
	}
	if !bytes.Equal(all, data) {
		t.Fatalf("chunks hold %d bytes, not the %d written", len(all), len(data))
	}
	// A finished file takes no more chunks.
	wantErr(t, "PutMediaChunk after FinishMedia", s.PutMediaChunk(t.Context(), f.ID, 3, []byte("x")), openwaba.ErrNotFound)
	wantErr(t, "FinishMedia twice", s.FinishMedia(t.Context(), f.ID, 1, f.SHA256), openwaba.ErrNotFound)
}

func testMediaAccountScoped(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	b := newAccount(t, s, "b", 0)
	f := putFile(t, s, a.ID, []byte("hello"), 4)
	_, err := s.Media(t.Context(), b.ID, f.ID)
	wantErr(t, "Media of another account", err, openwaba.ErrNotFound)
	wantErr(t, "DeleteMedia of another account", s.DeleteMedia(t.Context(), b.ID, f.ID), openwaba.ErrNotFound)
	// Unfinished files are not served.
	u, err := s.CreateMedia(t.Context(), openwaba.MediaFile{AccountID: a.ID, MIMEType: "image/png", CreatedAt: t0})
	wantErr(t, "CreateMedia", err, nil)
	_, err = s.Media(t.Context(), a.ID, u.ID)
	wantErr(t, "Media of an unfinished file", err, openwaba.ErrNotFound)
	wantErr(t, "DeleteMedia", s.DeleteMedia(t.Context(), a.ID, f.ID), nil)
	_, err = s.Media(t.Context(), a.ID, f.ID)
	wantErr(t, "Media after delete", err, openwaba.ErrNotFound)
	_, err = s.MediaChunk(t.Context(), f.ID, 0)
	wantErr(t, "MediaChunk after delete", err, openwaba.ErrNotFound)
	// Ids are never given twice: a signed URL of a deleted file never
	// names another one.
	g := putFile(t, s, a.ID, []byte("again"), 4)
	if g.ID <= u.ID {
		t.Fatalf("new file id %d after %d", g.ID, u.ID)
	}
}

func testMediaRetention(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	f := putFile(t, s, a.ID, []byte("x"), 4)
	equal(t, "default expiry", f.ExpiresAt, t0.Add(openwaba.DefaultMediaRetention))
	wantErr(t, "SetMediaRetention", s.SetMediaRetention(t.Context(), a.ID, 48*time.Hour), nil)
	wantErr(t, "SetMediaMode", s.SetMediaMode(t.Context(), a.ID, openwaba.MediaAuto), nil)
	got, err := s.Account(t.Context(), a.ID)
	wantErr(t, "Account", err, nil)
	if got.MediaRetention != 48*time.Hour || got.MediaMode != openwaba.MediaAuto {
		t.Fatalf("MediaRetention = %s, MediaMode = %q", got.MediaRetention, got.MediaMode)
	}
	if s.SetMediaMode(t.Context(), a.ID, "sometimes") == nil {
		t.Fatal("unknown media mode accepted")
	}
	g := putFile(t, s, a.ID, []byte("y"), 4)
	equal(t, "account expiry", g.ExpiresAt, t0.Add(48*time.Hour))
	if s.SetMediaRetention(t.Context(), a.ID, -time.Hour) == nil {
		t.Fatal("negative retention accepted")
	}
	wantErr(t, "SetMediaRetention of no account", s.SetMediaRetention(t.Context(), a.ID+1000, time.Hour), openwaba.ErrNotFound)
}

func testMediaSweep(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	wantErr(t, "SetMediaRetention", s.SetMediaRetention(t.Context(), a.ID, time.Hour), nil)
	old := putFile(t, s, a.ID, []byte("old"), 4)
	keep, err := s.CreateMedia(t.Context(), openwaba.MediaFile{AccountID: a.ID, MIMEType: "image/png", CreatedAt: t0.Add(2 * time.Hour), ExpiresAt: t0.Add(1000 * time.Hour)})
	wantErr(t, "CreateMedia", err, nil)
	wantErr(t, "FinishMedia", s.FinishMedia(t.Context(), keep.ID, 0, make([]byte, 32)), nil)
	abandoned, err := s.CreateMedia(t.Context(), openwaba.MediaFile{AccountID: a.ID, MIMEType: "image/png", CreatedAt: t0, ExpiresAt: t0.Add(1000 * time.Hour)})
	wantErr(t, "CreateMedia", err, nil)
	if !old.Expired(t0.Add(time.Hour)) || old.Expired(t0.Add(time.Hour-time.Millisecond)) {
		t.Fatal("Expired does not end at ExpiresAt")
	}
	n, err := s.DeleteExpiredMedia(t.Context(), t0.Add(time.Hour), 100)
	wantErr(t, "DeleteExpiredMedia", err, nil)
	if n != 1 {
		t.Fatalf("deleted %d, want the expired one", n)
	}
	_, err = s.Media(t.Context(), a.ID, old.ID)
	wantErr(t, "Media of an expired file", err, openwaba.ErrNotFound)
	n, err = s.DeleteExpiredMedia(t.Context(), t0.Add(25*time.Hour), 100)
	wantErr(t, "DeleteExpiredMedia", err, nil)
	if n != 1 {
		t.Fatalf("deleted %d, want the abandoned one", n)
	}
	wantErr(t, "PutMediaChunk of an abandoned file", s.PutMediaChunk(t.Context(), abandoned.ID, 0, []byte("x")), openwaba.ErrNotFound)
	_, err = s.Media(t.Context(), a.ID, keep.ID)
	wantErr(t, "Media of a kept file", err, nil)
}

func mediaInbound(accountID int64, wamid string) openwaba.InboundMessage {
	in := inbound(accountID, wamid, recipient1, t0, "a caption")
	in.Type = "image"
	in.Media = &openwaba.MediaRef{Type: "image", ID: "1234567890123456", MIMEType: "image/jpeg", SHA256: "abc=", Caption: "a caption"}
	return in
}

func claimDownloads(t *testing.T, s openwaba.Store, now time.Time) []openwaba.MediaDownload {
	t.Helper()
	ds, err := s.ClaimMediaDownloads(t.Context(), now, time.Minute, 100)
	wantErr(t, "ClaimMediaDownloads", err, nil)
	return ds
}

func testMediaInboundWaits(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	newHook(t, s, a.ID, openwaba.HookWAMO, "")
	in := mediaInbound(a.ID, "wamid.photo")
	record(t, s, in)
	record(t, s, in) // Meta redelivers: one download
	if ds := claimAll(t, s, t0.Add(time.Hour)); len(ds) != 0 {
		t.Fatalf("wa_mo before the download: %+v", ds)
	}
	ds := claimDownloads(t, s, t0.Add(time.Second))
	if len(ds) != 1 || ds[0].AccountID != a.ID || ds[0].Sender != sender1 || ds[0].Attempts != 1 || *in.Media != ds[0].Media {
		t.Fatalf("downloads %+v", ds)
	}
	equal(t, "CreatedAt", ds[0].CreatedAt, in.ReceivedAt)
	if again := claimDownloads(t, s, t0.Add(2*time.Second)); len(again) != 0 {
		t.Fatalf("leased download claimed again: %+v", again)
	}
	f, err := s.CreateMedia(t.Context(), openwaba.MediaFile{AccountID: a.ID, MIMEType: "image/jpeg", CreatedAt: t0})
	wantErr(t, "CreateMedia", err, nil)
	wantErr(t, "PutMediaChunk", s.PutMediaChunk(t.Context(), f.ID, 0, []byte("jpeg")), nil)
	sum := sha256.Sum256([]byte("jpeg"))
	wantErr(t, "MediaDownloaded", s.MediaDownloaded(t.Context(), ds[0].InboundID, f.ID, 4, sum[:]), nil)
	wantErr(t, "MediaDownloaded twice", s.MediaDownloaded(t.Context(), ds[0].InboundID, f.ID, 4, sum[:]), openwaba.ErrNotFound)
	wantErr(t, "MediaDownloadFailed after done", s.MediaDownloadFailed(t.Context(), ds[0].InboundID, "x"), openwaba.ErrNotFound)
	got, err := s.Media(t.Context(), a.ID, f.ID)
	wantErr(t, "Media", err, nil)
	if got.Size != 4 || !bytes.Equal(got.SHA256, sum[:]) {
		t.Fatalf("file %+v", got)
	}
	out := drain(t, s, t0.Add(time.Hour))
	if len(out) != 1 || out[0].Event != openwaba.HookWAMO || out[0].InboundID != ds[0].InboundID {
		t.Fatalf("outbox %+v, want one wa_mo", out)
	}
	m, err := s.InboundByID(t.Context(), a.ID, out[0].InboundID)
	wantErr(t, "InboundByID", err, nil)
	if m.MediaFileID != f.ID || m.MediaError != "" || m.Media == nil || *m.Media != *in.Media {
		t.Fatalf("inbound %+v (media %+v)", m, m.Media)
	}
	if ds := claimDownloads(t, s, t0.Add(time.Hour)); len(ds) != 0 {
		t.Fatalf("download left after done: %+v", ds)
	}
	// A message without media has none, and its wa_mo goes at once.
	record(t, s, inbound(a.ID, "wamid.text", recipient1, t0, "hi"))
	out = drain(t, s, t0.Add(time.Hour))
	if len(out) != 1 {
		t.Fatalf("text message: outbox %+v", out)
	}
	m, err = s.InboundByID(t.Context(), a.ID, out[0].InboundID)
	wantErr(t, "InboundByID", err, nil)
	if m.Media != nil || m.MediaFileID != 0 {
		t.Fatalf("text message with media %+v", m)
	}
}

func testMediaDownloadFailed(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	newHook(t, s, a.ID, openwaba.HookWAMO, "")
	record(t, s, mediaInbound(a.ID, "wamid.lost"))
	ds := claimDownloads(t, s, t0)
	if len(ds) != 1 {
		t.Fatalf("downloads %+v", ds)
	}
	wantErr(t, "MediaDownloadFailed", s.MediaDownloadFailed(t.Context(), ds[0].InboundID, "media expired \x00"), nil)
	out := drain(t, s, t0)
	if len(out) != 1 {
		t.Fatalf("outbox %+v, want the wa_mo anyway", out)
	}
	m, err := s.InboundByID(t.Context(), a.ID, ds[0].InboundID)
	wantErr(t, "InboundByID", err, nil)
	if m.MediaFileID != 0 || m.MediaError != kept("media expired \x00") {
		t.Fatalf("inbound media %d error %q", m.MediaFileID, m.MediaError)
	}
}

func testMediaDownloadRetry(t *testing.T, s openwaba.Store) {
	a := newAccount(t, s, "a", 0)
	record(t, s, mediaInbound(a.ID, "wamid.slow"))
	ds := claimDownloads(t, s, t0)
	wantErr(t, "RetryMediaDownload", s.RetryMediaDownload(t.Context(), ds[0].InboundID, t0.Add(time.Hour), "HTTP 503"), nil)
	if again := claimDownloads(t, s, t0.Add(time.Hour-time.Millisecond)); len(again) != 0 {
		t.Fatalf("claimed before due: %+v", again)
	}
	again := claimDownloads(t, s, t0.Add(time.Hour))
	if len(again) != 1 || again[0].Attempts != 2 || again[0].LastError != "HTTP 503" {
		t.Fatalf("after retry %+v", again)
	}
	// A lease that runs out (the worker died) is claimed again.
	third := claimDownloads(t, s, t0.Add(time.Hour+time.Minute))
	if len(third) != 1 || third[0].Attempts != 3 {
		t.Fatalf("after lease %+v", third)
	}
	wantErr(t, "RetryMediaDownload of no download", s.RetryMediaDownload(t.Context(), 99999, t0, ""), openwaba.ErrNotFound)
}

func testMediaUploadCache(t *testing.T, s openwaba.Store) {
	sum := sha256.Sum256([]byte("file"))
	_, ok, err := s.UploadedMedia(t.Context(), sender1, sum[:], t0)
	wantErr(t, "UploadedMedia", err, nil)
	if ok {
		t.Fatal("found before put")
	}
	wantErr(t, "PutUploadedMedia", s.PutUploadedMedia(t.Context(), sender1, sum[:], "111", t0.Add(time.Hour)), nil)
	for _, c := range []struct {
		sender string
		at     time.Time
		want   string
	}{
		{sender1, t0, "111"},
		{sender1, t0.Add(time.Hour), ""}, // expired
		{sender2, t0, ""},                // uploaded from another sender
	} {
		id, ok, err := s.UploadedMedia(t.Context(), c.sender, sum[:], c.at)
		wantErr(t, "UploadedMedia", err, nil)
		if id != c.want || ok != (c.want != "") {
			t.Errorf("UploadedMedia(%s, %s) = %q %v, want %q", c.sender, c.at, id, ok, c.want)
		}
	}
	wantErr(t, "PutUploadedMedia again", s.PutUploadedMedia(t.Context(), sender1, sum[:], "222", t0.Add(2*time.Hour)), nil)
	id, _, err := s.UploadedMedia(t.Context(), sender1, sum[:], t0.Add(time.Hour))
	wantErr(t, "UploadedMedia", err, nil)
	if id != "222" {
		t.Fatalf("re-upload kept %q", id)
	}
}

func testMediaSecret(t *testing.T, s openwaba.Store) {
	k1, err := s.MediaSecret(t.Context())
	wantErr(t, "MediaSecret", err, nil)
	k2, err := s.MediaSecret(t.Context())
	wantErr(t, "MediaSecret", err, nil)
	if len(k1) < 32 || !bytes.Equal(k1, k2) {
		t.Fatalf("secrets %x and %x", k1, k2)
	}
}
