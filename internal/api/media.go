package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/media"
)

// The media resource: files users sent (downloaded from WhatsApp) and
// files customers upload to send (docs/media.md).
//
//	POST   /api/waba/media       upload (multipart "file") or fetch once ("url")
//	GET    /api/waba/media/{id}  the bytes, with the API key (Range requests)
//	DELETE /api/waba/media/{id}
//	GET    /media/{id}?a=&e=&s=  the bytes, with a signed URL (wa_mo's media_url)

// mediaTransferTime is how long an upload or a download of a file may
// take, past the server's read and write timeouts (which are for
// requests of a few KiB).
const mediaTransferTime = 10 * time.Minute

// mediaAnswer is what POST /api/waba/media answers.
type mediaAnswer struct {
	ID        string `json:"id"`
	MIMEType  string `json:"mime_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Filename  string `json:"filename"`
	ExpiresAt string `json:"expires_at"`
}

func answerOf(f openwaba.MediaFile) mediaAnswer {
	return mediaAnswer{ID: strconv.FormatInt(f.ID, 10), MIMEType: f.MIMEType, Size: f.Size, SHA256: hex.EncodeToString(f.SHA256),
		Filename: f.Filename, ExpiresAt: f.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")}
}

// mediaID reads the {id} of a media route; anything but a positive
// number is no file.
func mediaID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// getMedia serves a file of the caller's account.
func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := mediaID(r)
	if !ok {
		writeNotFound(w)
		return
	}
	s.serveMedia(w, r, principalFrom(r.Context()).AccountID, id)
}

// getSignedMedia serves the file a signed media_url names.
func (s *Server) getSignedMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := mediaID(r)
	if !ok || s.cfg.MediaSigner == nil {
		writeNotFound(w)
		return
	}
	account, err := s.cfg.MediaSigner.Verify(id, r.URL.Query(), s.now())
	if err != nil {
		// Expired and forged look alike: neither says whether the file exists.
		writeJSON(w, http.StatusForbidden, errorBody{ErrorCode: http.StatusForbidden, ErrorMessage: err.Error()})
		return
	}
	s.serveMedia(w, r, account, id)
}

// serveMedia answers with the file's bytes from its chunks: Range and
// conditional requests as http.ServeContent does them, the stored type,
// and the filename as an attachment (escaped by mime.FormatMediaType, so
// a name cannot break out of the header). nosniff: a browser must not
// run an uploaded file as a page of the gateway's origin.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request, accountID, id int64) {
	f, err := s.cfg.Store.Media(r.Context(), accountID, id)
	if err == nil && f.Expired(s.now()) {
		err = openwaba.ErrNotFound
	}
	if err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			writeNotFound(w)
			return
		}
		s.writeError(w, err, false)
		return
	}
	// A 100 MB file takes longer than the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(mediaTransferTime))
	h := w.Header()
	h.Set("Content-Type", f.MIMEType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("ETag", `"`+hex.EncodeToString(f.SHA256)+`"`)
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}); cd != "" && f.Filename != "" {
		h.Set("Content-Disposition", cd)
	} else {
		h.Set("Content-Disposition", "attachment")
	}
	http.ServeContent(w, r, "", f.CreatedAt, media.NewReader(r.Context(), s.cfg.Store, f))
}

// deleteMedia deletes a file of the caller's account.
func (s *Server) deleteMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := mediaID(r)
	if !ok {
		writeNotFound(w)
		return
	}
	if err := s.cfg.Store.DeleteMedia(r.Context(), principalFrom(r.Context()).AccountID, id); err != nil {
		if errors.Is(err, openwaba.ErrNotFound) {
			writeNotFound(w)
			return
		}
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": strconv.FormatInt(id, 10)})
}

// uploadMedia stores a file to send: the multipart part "file", or the
// file at "url" (JSON or form), fetched once through the SSRF guard. Its
// type is the part's (or the answer's) Content-Type, else sniffed; "type"
// overrides it. Any file up to 100 MB is taken: whether it may go as an
// image, video, ... is checked when a message names it (media_id).
func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accountID := principalFrom(ctx).AccountID
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var (
		src      io.Reader
		declared string
		filename string
	)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(mediaTransferTime))
	_ = rc.SetWriteDeadline(time.Now().Add(mediaTransferTime + time.Minute))
	if mt == "multipart/form-data" {
		part, fields, err := uploadPart(r, w)
		if err != nil {
			s.writeError(w, err, false)
			return
		}
		defer part.Close()
		src, declared, filename = part, part.Header.Get("Content-Type"), part.FileName()
		if t := fields["type"]; t != "" {
			declared = t
		}
		if n := fields["filename"]; n != "" {
			filename = n
		}
	} else {
		var req struct {
			URL      flexString `json:"url"`
			Type     flexString `json:"type"`
			Filename flexString `json:"filename"`
		}
		if err := decodeBody(r, &req); err != nil {
			s.writeError(w, err, false)
			return
		}
		body, ctype, name, err := s.fetchMedia(ctx, req.URL)
		if err != nil {
			s.writeError(w, err, false)
			return
		}
		defer body.Close()
		src, declared, filename = body, ctype, name
		if req.Type.Value != "" {
			declared = req.Type.Value
		}
		if req.Filename.Value != "" {
			filename = req.Filename.Value
		}
	}
	mimeType, src, err := mediaType(declared, src)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	if len(filename) > 240 {
		s.writeError(w, badField("filename", "must be at most 240 bytes"), false)
		return
	}
	now := s.now()
	expires, err := media.Expiry(ctx, s.cfg.Store, accountID, s.cfg.MediaRetention, now)
	if err != nil {
		s.writeError(w, err, false)
		return
	}
	f, err := media.Save(ctx, s.cfg.Store, openwaba.MediaFile{AccountID: accountID, MIMEType: mimeType, Filename: filename,
		CreatedAt: now, ExpiresAt: expires}, src, openwaba.MaxMediaSize)
	if err != nil {
		if errors.Is(err, media.ErrTooLarge) {
			err = badField("file", "must be at most 100 MB (WhatsApp's largest media, a document)")
		}
		s.writeError(w, err, false)
		return
	}
	writeJSON(w, http.StatusOK, answerOf(f))
}

// uploadPart finds the part "file" of a multipart upload, reading the
// small fields before it ("type", "filename"); the file itself is
// streamed, never buffered whole.
func uploadPart(r *http.Request, w http.ResponseWriter) (*multipart.Part, map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, openwaba.MaxMediaSize+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, badField("body", "must be multipart/form-data with a boundary: %v", err)
	}
	fields := map[string]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, nil, badField("file", "is required: a multipart part named file")
		}
		if err != nil {
			return nil, nil, badField("body", "is not valid multipart/form-data: %v", err)
		}
		switch name := p.FormName(); name {
		case "file":
			return p, fields, nil
		case "type", "filename":
			v, err := io.ReadAll(io.LimitReader(p, 1024))
			p.Close()
			if err != nil {
				return nil, nil, badField(name, "could not be read")
			}
			if strings.IndexByte(string(v), 0) >= 0 {
				return nil, nil, badField(name, "must not contain U+0000")
			}
			fields[name] = strings.TrimSpace(string(v))
		default:
			p.Close()
		}
	}
}

// mediaType is the file's MIME type: declared, or sniffed from its first
// bytes. The sniffed bytes are put back in front of src.
func mediaType(declared string, src io.Reader) (string, io.Reader, error) {
	declared = strings.TrimSpace(declared)
	if declared != "" && declared != "application/octet-stream" {
		mt, params, err := mime.ParseMediaType(declared)
		if err != nil || !strings.Contains(mt, "/") {
			return "", nil, badField("type", "must be a MIME type such as image/jpeg, got %q", declared)
		}
		return mime.FormatMediaType(mt, params), src, nil
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(src, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", nil, badField("file", "could not be read: %v", err)
	}
	if n == 0 {
		return "", nil, badField("file", "is empty")
	}
	mt, _, _ := mime.ParseMediaType(http.DetectContentType(head[:n]))
	return mt, io.MultiReader(strings.NewReader(string(head[:n])), src), nil
}

// fetchMedia opens the file at a customer's URL once (media.Open: through
// the client that refuses the gateway's own network and follows no
// redirect, the same guard as webhook targets).
func (s *Server) fetchMedia(ctx context.Context, raw flexString) (io.ReadCloser, string, string, error) {
	switch {
	case raw.Invalid:
		return nil, "", "", badField("url", "must be a string")
	case strings.TrimSpace(raw.Value) == "":
		return nil, "", "", badField("file", "or url is required: send the file as multipart/form-data, or a URL to fetch it from")
	}
	u, err := media.ParseURL(raw.Value)
	if err != nil {
		return nil, "", "", badField("url", "%v", err)
	}
	if s.cfg.CheckHookTarget != nil {
		if err := s.cfg.CheckHookTarget(ctx, u.String()); err != nil {
			return nil, "", "", badField("url", "%v", err)
		}
	}
	if s.cfg.FetchClient == nil {
		return nil, "", "", badField("url", "fetching URLs is off; upload the file as multipart/form-data")
	}
	body, ctype, name, err := media.Open(ctx, s.cfg.FetchClient, u)
	if err != nil {
		return nil, "", "", badField("url", "%v", err)
	}
	return body, ctype, name, nil
}

// mediaFor finds the file a message names by media_id, for the send
// validator: it must be the caller's, kept, and fit WhatsApp's limits for
// the type (openwaba.CheckMedia).
func (s *Server) mediaFor(ctx context.Context, accountID int64, field string, typ openwaba.MessageType, id string) (openwaba.MediaFile, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return openwaba.MediaFile{}, badField(field, "must be the id POST /api/waba/media answered, got %q", id)
	}
	f, err := s.cfg.Store.Media(ctx, accountID, n)
	if err == nil && f.Expired(s.now()) {
		err = openwaba.ErrNotFound
	}
	if errors.Is(err, openwaba.ErrNotFound) {
		return openwaba.MediaFile{}, badField(field, "names no file of this account (deleted, expired, or never uploaded)")
	}
	if err != nil {
		return openwaba.MediaFile{}, fmt.Errorf("media %d: %w", n, err)
	}
	if err := openwaba.CheckMedia(typ, f.MIMEType, f.Size); err != nil {
		return openwaba.MediaFile{}, badField(field, "%v", err)
	}
	return f, nil
}

// uploadByMode applies the account's media mode to a media message given
// by url: in upload mode the file is fetched once now (through the SSRF
// guard) and stored, and the message names it as if sent by media_id, so
// WhatsApp's limits are checked before anything is charged.
func (s *Server) uploadByMode(ctx context.Context, accountID int64, md *openwaba.Media, now time.Time) error {
	acct, err := s.cfg.Store.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if acct.MediaMode != openwaba.MediaUpload {
		return nil
	}
	body, ctype, name, err := s.fetchMedia(ctx, flexString{Value: md.URL})
	if err != nil {
		return err
	}
	defer body.Close()
	mimeType, src, err := mediaType(ctype, body)
	if err != nil {
		return badField("url", "%v", err)
	}
	expires, err := media.Expiry(ctx, s.cfg.Store, accountID, s.cfg.MediaRetention, now)
	if err != nil {
		return err
	}
	if md.Filename != "" {
		name = md.Filename
	}
	f, err := media.Save(ctx, s.cfg.Store, openwaba.MediaFile{AccountID: accountID, MIMEType: mimeType, Filename: name,
		CreatedAt: now, ExpiresAt: expires}, src, openwaba.MaxMediaSize)
	if errors.Is(err, media.ErrTooLarge) {
		return badField("url", "is a file of more than 100 MB")
	}
	if err != nil {
		return err
	}
	md.URL, md.FileID = "", f.ID
	return nil
}
