package media

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/openwaba/openwaba"
)

// Fetch stores the file at rawURL as a file of the account, fetched once
// with client (the SSRF-guarded client of webhooks: webhook.NewClient),
// and returns its id. It serves media mode auto, after WhatsApp could not
// fetch the link itself; POST /api/waba/media fetches with the same
// client.
func Fetch(ctx context.Context, client *http.Client, st openwaba.Store, accountID int64, rawURL string, retention time.Duration) (int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return 0, fmt.Errorf("media URL %q: not http(s)", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "openwaba")
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetching media: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("fetching media: HTTP %d", resp.StatusCode)
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return 0, fmt.Errorf("fetching media: no usable Content-Type: %w", err)
	}
	now := time.Now()
	expires, err := Expiry(ctx, st, accountID, retention, now)
	if err != nil {
		return 0, err
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." {
		name = ""
	}
	f, err := Save(ctx, st, openwaba.MediaFile{AccountID: accountID, MIMEType: mime.FormatMediaType(mt, params), Filename: name,
		CreatedAt: now, ExpiresAt: expires}, resp.Body, openwaba.MaxMediaSize)
	if err != nil {
		return 0, err
	}
	return f.ID, nil
}
