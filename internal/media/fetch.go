package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// ParseURL checks a customer's media URL: http or https, with a host. Its
// error is for the customer (POST /api/waba/media names the field with it).
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("must be an http or https URL")
	}
	return u, nil
}

// Open GETs the file at u once with client, the SSRF-guarded client of
// webhooks (webhook.NewClient), which follows no redirect, and returns its
// body, its declared Content-Type and the file name u's path ends in ("" for
// none). Its errors say what is wrong with the answer, for the customer.
// The one way a customer's file is fetched: by POST /api/waba/media, by
// media mode upload and, after WhatsApp could not fetch a link, by media
// mode auto (Fetch).
func Open(ctx context.Context, client *http.Client, u *url.URL) (body io.ReadCloser, contentType, name string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", "", err
	}
	req.Header.Set("User-Agent", "openwaba")
	resp, err := client.Do(req)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the url.Error repeats the URL the customer gave
		}
		return nil, "", "", fmt.Errorf("could not be fetched: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", "", fmt.Errorf("answered HTTP %d, want 200 (redirects are not followed)", resp.StatusCode)
	}
	if resp.ContentLength > openwaba.MaxMediaSize {
		resp.Body.Close()
		return nil, "", "", fmt.Errorf("is a file of %d bytes; at most 100 MB", resp.ContentLength)
	}
	name = path.Base(u.Path)
	if name == "/" || name == "." {
		name = ""
	}
	return resp.Body, resp.Header.Get("Content-Type"), name, nil
}

// Fetch stores the file at rawURL as a file of the account (Open) and
// returns its id. It serves media mode auto, after WhatsApp could not
// fetch the link itself.
func Fetch(ctx context.Context, client *http.Client, st openwaba.Store, accountID int64, rawURL string, retention time.Duration) (int64, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return 0, fmt.Errorf("media URL %q: %w", rawURL, err)
	}
	body, ctype, name, err := Open(ctx, client, u)
	if err != nil {
		return 0, fmt.Errorf("media URL %q: %w", rawURL, err)
	}
	defer body.Close()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return 0, fmt.Errorf("fetching media: no usable Content-Type: %w", err)
	}
	now := time.Now()
	expires, err := Expiry(ctx, st, accountID, retention, now)
	if err != nil {
		return 0, err
	}
	f, err := Save(ctx, st, openwaba.MediaFile{AccountID: accountID, MIMEType: mime.FormatMediaType(mt, params), Filename: name,
		CreatedAt: now, ExpiresAt: expires}, body, openwaba.MaxMediaSize)
	if err != nil {
		return 0, err
	}
	return f.ID, nil
}
