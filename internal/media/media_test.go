package media_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/media"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

func TestSigner(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s := media.Signer{Key: []byte("k1"), PublicURL: "https://gw.example.com", Lifetime: time.Hour}
	u, exp := s.URL(7, 42, now)
	if !exp.Equal(now.Add(time.Hour)) || !strings.HasPrefix(u, "https://gw.example.com/media/42?") {
		t.Fatalf("URL = %s, %s", u, exp)
	}
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	for _, c := range []struct {
		name   string
		signer media.Signer
		file   int64
		q      func(url.Values) url.Values
		at     time.Time
		ok     bool
	}{
		{"as signed", s, 42, nil, now, true},
		{"just before expiry", s, 42, nil, now.Add(time.Hour - time.Second), true},
		{"expired", s, 42, nil, now.Add(time.Hour), false},
		{"other file", s, 43, nil, now, false},
		{"other key", media.Signer{Key: []byte("k2")}, 42, nil, now, false},
		{"no key", media.Signer{}, 42, nil, now, false},
		{"other account", s, 42, func(v url.Values) url.Values { v.Set("a", "8"); return v }, now, false},
		{"later expiry", s, 42, func(v url.Values) url.Values { v.Set("e", "99999999999"); return v }, now, false},
		{"no signature", s, 42, func(v url.Values) url.Values { v.Del("s"); return v }, now, false},
	} {
		v := url.Values{}
		for k, x := range q {
			v[k] = append([]string(nil), x...)
		}
		if c.q != nil {
			v = c.q(v)
		}
		account, err := c.signer.Verify(c.file, v, c.at)
		if (err == nil) != c.ok || (c.ok && account != 7) {
			t.Errorf("%s: account %d, err %v", c.name, account, err)
		}
	}
}

// TestWriteAndReader writes a file of several chunks into a real store
// and reads it back through the Reader at every kind of position.
func TestWriteAndReader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := st.CreateAccount(ctx, openwaba.Account{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 2*openwaba.MediaChunkSize+1000)
	_, _ = rand.Read(data)
	if _, err := media.Save(ctx, st, openwaba.MediaFile{AccountID: a.ID, MIMEType: "image/png"}, bytes.NewReader(data), int64(len(data))-1); err == nil {
		t.Fatal("a file over the limit was saved")
	}
	f, err := media.Save(ctx, st, openwaba.MediaFile{AccountID: a.ID, MIMEType: "image/png"}, bytes.NewReader(data), openwaba.MaxMediaSize)
	if err != nil {
		t.Fatal(err)
	}
	r := media.NewReader(ctx, st, f)
	all, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("read %d bytes (%v), want %d", len(all), err, len(data))
	}
	for _, c := range []struct {
		off    int64
		whence int
		n      int
		want   int64 // absolute start
	}{
		{10, io.SeekStart, 100, 10},
		{openwaba.MediaChunkSize - 5, io.SeekStart, 10, openwaba.MediaChunkSize - 5},
		{-20, io.SeekEnd, 20, int64(len(data)) - 20},
		{-100, io.SeekCurrent, 50, int64(len(data)) - 100},
	} {
		pos, err := r.Seek(c.off, c.whence)
		if err != nil || pos != c.want {
			t.Fatalf("Seek(%d, %d) = %d, %v", c.off, c.whence, pos, err)
		}
		got := make([]byte, c.n)
		if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[c.want:c.want+int64(c.n)]) {
			t.Fatalf("after Seek(%d, %d): %v", c.off, c.whence, err)
		}
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("negative position accepted")
	}
}
