package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/openwaba/openwaba"
)

// MediaInfo is Meta's answer to GET /{media-id}: where to download the
// file (for a few minutes, with the bearer token) and what it is.
type MediaInfo struct {
	URL      string
	MIMEType string
	SHA256   string // hex
	Size     int64  // -1 when Meta did not say
}

// flexInt reads Meta's file_size: a number, or a string of digits as the
// OpenAPI document shows it.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = -1
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("file_size %s: %w", b, err)
	}
	*f = flexInt(n)
	return nil
}

// MediaInfo asks Meta where the media id's file is. phoneNumberID, when
// set, makes Meta check that the media belongs to that number.
func (c *Client) MediaInfo(ctx context.Context, mediaID, phoneNumberID string) (MediaInfo, error) {
	u := c.base + "/" + url.PathEscape(mediaID)
	if phoneNumberID != "" {
		u += "?phone_number_id=" + url.QueryEscape(phoneNumberID)
	}
	var out struct {
		URL      string  `json:"url"`
		MIMEType string  `json:"mime_type"`
		SHA256   string  `json:"sha256"`
		FileSize flexInt `json:"file_size"`
	}
	out.FileSize = -1
	if err := c.do(ctx, "retrieve media", http.MethodGet, u, nil, &out); err != nil {
		return MediaInfo{}, err
	}
	if out.URL == "" {
		return MediaInfo{}, fmt.Errorf("meta: retrieve media: %w", unexpectedResponse(200, "no url in the answer"))
	}
	return MediaInfo{URL: out.URL, MIMEType: out.MIMEType, SHA256: out.SHA256, Size: int64(out.FileSize)}, nil
}

// DownloadMedia opens the file at a URL MediaInfo gave, with the bearer
// token. The caller reads and closes the body; a failure is an
// *openwaba.UpstreamError, retryable for server errors and timeouts.
func (c *Client) DownloadMedia(ctx context.Context, mediaURL string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mediaURL, nil)
	if err != nil {
		return nil, fmt.Errorf("meta: download media: %w", &openwaba.UpstreamError{Title: "bad media URL", Details: err.Error()})
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "openwaba")
	resp, err := c.download.Do(req)
	if err != nil {
		return nil, fmt.Errorf("meta: download media: %w", transportError(err))
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("meta: download media: %w", responseError(resp, raw))
	}
	return resp.Body, nil
}

// UploadMedia uploads a file for phoneNumberID (POST
// /{phone-number-id}/media, multipart with messaging_product, type and
// file) and returns Meta's media id, valid for 30 days. The body is
// streamed: the file is never held in memory.
func (c *Client) UploadMedia(ctx context.Context, phoneNumberID, mimeType, filename string, r io.Reader) (string, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			if err := mw.WriteField("messaging_product", "whatsapp"); err != nil {
				return err
			}
			if err := mw.WriteField("type", mimeType); err != nil {
				return err
			}
			h := make(textproto.MIMEHeader)
			if filename == "" {
				filename = "file"
			}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, strings.Map(safeFilenameRune, filename)))
			h.Set("Content-Type", mimeType)
			fw, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			if _, err := io.Copy(fw, r); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(phoneNumberID, "media"), pr)
	if err != nil {
		pr.CloseWithError(err)
		return "", fmt.Errorf("meta: upload media: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("User-Agent", "openwaba")
	resp, err := c.download.Do(req)
	if err != nil {
		return "", fmt.Errorf("meta: upload media: %w", transportError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", fmt.Errorf("meta: upload media: %w", transportError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("meta: upload media: %w", responseError(resp, raw))
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("meta: upload media: %w", unexpectedResponse(resp.StatusCode, snippet(raw)))
	}
	return out.ID, nil
}

// safeFilenameRune keeps a filename printable in a multipart header.
func safeFilenameRune(r rune) rune {
	if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
		return '_'
	}
	return r
}

// Upload is UploadMedia for a sender: openwaba.MediaUploader.
func (c *Client) Upload(ctx context.Context, from openwaba.Sender, mimeType, filename string, r io.Reader) (string, error) {
	return c.UploadMedia(ctx, from.PhoneNumberID, mimeType, filename, r)
}

var _ openwaba.MediaUploader = (*Client)(nil)
