package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Meta's media endpoints, as the gateway uses them (docs/media.md):
//
//   - POST /{phone-number-id}/media (multipart: messaging_product,
//     type, file) answers {"id"}; the id is valid for 30 days.
//   - GET /{media-id} answers {messaging_product, url, mime_type, sha256
//     (hex), file_size, id}; the url is valid for 5 minutes.
//   - GET url serves the bytes only with the bearer token.
//   - DELETE /{media-id} answers {"success": true}.
//
// Inbound media messages carry a media id of a file the sandbox keeps,
// with the file's real hash, so a download can be checked end to end.

// Media lifetimes at Meta.
const (
	MediaIDLifetime  = 30 * 24 * time.Hour // an uploaded file's id
	MediaURLLifetime = 5 * time.Minute     // a download URL
	maxUpload        = 100 << 20           // the largest media type (documents)
)

// mediaFile is a file the sandbox keeps: uploaded, or sent by a user.
type mediaFile struct {
	ID            string    `json:"id"`
	PhoneNumberID string    `json:"phone_number_id"`
	MIMEType      string    `json:"mime_type"`
	SHA256        string    `json:"sha256"` // hex, as GET /{media-id} answers
	Size          int64     `json:"file_size"`
	Expires       time.Time `json:"expires"`
	data          []byte
}

// Upload is a file uploaded to the media endpoint, as tests see it.
type Upload struct {
	ID, PhoneNumberID, MIMEType string
	Data                        []byte
}

// Uploads returns the files uploaded to the media endpoint, oldest first.
func (s *Sandbox) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, len(s.uploads))
	copy(out, s.uploads)
	return out
}

// HoldDownloads makes media downloads send their first half and then wait
// until release is called (or the request ends): a test stops the gateway
// in the middle of a download.
func (s *Sandbox) HoldDownloads() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.hold == ch {
			s.hold = nil
			close(ch)
		}
	}
}

// Downloads returns how many media downloads were asked for (with a
// valid token and URL).
func (s *Sandbox) Downloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.downloads
}

// FailDownloads makes the next n media downloads answer 500.
func (s *Sandbox) FailDownloads(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failDownloads += n
}

func newMediaID() string {
	// Meta's media ids are 15-16 digit numbers.
	return strconv.FormatUint(1e15+binary.BigEndian.Uint64(random(8))%9e15, 10)
}

// keepMedia stores data as a file of the number and returns it.
func (s *Sandbox) keepMedia(phoneNumberID, mimeType string, data []byte) (*mediaFile, error) {
	sum := sha256.Sum256(data)
	f := &mediaFile{
		ID: newMediaID(), PhoneNumberID: phoneNumberID, MIMEType: mimeType,
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Expires: s.now().Add(MediaIDLifetime), data: data,
	}
	if s.mediaDir != "" {
		// Meta does not forget a user's photo when the gateway restarts.
		meta, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(s.mediaDir, f.ID+".bin"), data, 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(s.mediaDir, f.ID+".json"), meta, 0o600); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.media[f.ID] = f
	s.mu.Unlock()
	return f, nil
}

// mediaByID finds a file that has not expired, in memory or in the media
// directory of an earlier sandbox.
func (s *Sandbox) mediaByID(id string) (*mediaFile, bool) {
	if id == "" || digits(id) != id {
		return nil, false
	}
	s.mu.Lock()
	f, ok := s.media[id]
	s.mu.Unlock()
	if !ok && s.mediaDir != "" {
		meta, err := os.ReadFile(filepath.Join(s.mediaDir, id+".json"))
		if err != nil {
			return nil, false
		}
		f = new(mediaFile)
		if json.Unmarshal(meta, f) != nil {
			return nil, false
		}
		if f.data, err = os.ReadFile(filepath.Join(s.mediaDir, id+".bin")); err != nil {
			return nil, false
		}
		s.mu.Lock()
		s.media[id] = f
		s.mu.Unlock()
		ok = true
	}
	if !ok || !s.now().Before(f.Expires) {
		return nil, false
	}
	return f, true
}

// userMedia gives an inbound media object real bytes: data, or made-up
// bytes of the type when nil.
func (s *Sandbox) userMedia(phoneNumberID string, m *whMedia, mimeType string, data []byte) error {
	if mimeType != "" {
		m.MimeType = mimeType
	}
	if data == nil {
		data = append([]byte("sandbox "+m.MimeType+"\n"), random(2048)...)
	}
	f, err := s.keepMedia(phoneNumberID, m.MimeType, data)
	if err != nil {
		return fmt.Errorf("sandbox: keeping media: %w", err)
	}
	sum, _ := hex.DecodeString(f.SHA256)
	// Webhooks write the hash in base64, GET /{media-id} in hex.
	m.ID, m.SHA256 = f.ID, base64.StdEncoding.EncodeToString(sum)
	return nil
}

func (s *Sandbox) handleUpload(w http.ResponseWriter, r *http.Request) {
	if e := s.checkRequest(w, r); e != nil {
		e.write(w)
		return
	}
	num, ok := s.lookup(r.Context(), func(n number) bool { return n.PhoneNumberID == r.PathValue("node") })
	if !ok {
		unknownNode("post", r.PathValue("node")).write(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		newError(100, "Invalid multipart body: %v", err).write(w)
		return
	}
	defer r.MultipartForm.RemoveAll()
	if r.FormValue("messaging_product") != "whatsapp" {
		missing("messaging_product").write(w)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		missing("file").write(w)
		return
	}
	defer file.Close()
	typ := r.FormValue("type")
	if typ == "" {
		typ = hdr.Header.Get("Content-Type")
	}
	if typ == "" {
		missing("type").write(w)
		return
	}
	if _, _, err := mime.ParseMediaType(typ); err != nil {
		invalid("type", "%q is not a MIME type", typ).write(w)
		return
	}
	data, err := io.ReadAll(io.LimitReader(file, maxUpload+1))
	if err != nil || len(data) > maxUpload {
		newError(131053, "Media upload error: the file is larger than %d bytes", maxUpload).write(w)
		return
	}
	f, err := s.keepMedia(num.PhoneNumberID, typ, data)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.uploads = append(s.uploads, Upload{ID: f.ID, PhoneNumberID: num.PhoneNumberID, MIMEType: typ, Data: data})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": f.ID})
}

func (s *Sandbox) handleMediaInfo(w http.ResponseWriter, r *http.Request) {
	if e := s.checkRequest(w, r); e != nil {
		e.write(w)
		return
	}
	id := r.PathValue("node")
	f, ok := s.mediaByID(id)
	if !ok || (r.URL.Query().Has("phone_number_id") && r.URL.Query().Get("phone_number_id") != f.PhoneNumberID) {
		unknownNode("get", id).write(w)
		return
	}
	exp := strconv.FormatInt(s.now().Add(MediaURLLifetime).Unix(), 10)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + "/sandbox/media/" + id + "/download?ext=" + exp + "&hash=" + s.urlMAC(id, exp)
	writeJSON(w, http.StatusOK, map[string]string{
		"messaging_product": "whatsapp", "url": u, "mime_type": f.MIMEType, "sha256": f.SHA256,
		"file_size": strconv.FormatInt(f.Size, 10), "id": f.ID,
	})
}

func (s *Sandbox) handleMediaDelete(w http.ResponseWriter, r *http.Request) {
	if e := s.checkRequest(w, r); e != nil {
		e.write(w)
		return
	}
	id := r.PathValue("node")
	if _, ok := s.mediaByID(id); !ok {
		unknownNode("delete", id).write(w)
		return
	}
	s.mu.Lock()
	delete(s.media, id)
	s.mu.Unlock()
	if s.mediaDir != "" {
		_ = os.Remove(filepath.Join(s.mediaDir, id+".json"))
		_ = os.Remove(filepath.Join(s.mediaDir, id+".bin"))
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// urlMAC signs a download URL, so that only URLs the sandbox gave work.
func (s *Sandbox) urlMAC(id, exp string) string {
	m := hmac.New(sha256.New, []byte("sandbox media "+s.cfg.AccessToken))
	m.Write([]byte(id + "." + exp))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// handleDownload serves a file's bytes to a request with the bearer token
// and a URL that has not expired, as Meta's lookaside host does.
func (s *Sandbox) handleDownload(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" || token != s.cfg.AccessToken {
		// Meta answers a browser without the token with a page, not the file.
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	id, q := r.PathValue("id"), r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("ext"), 10, 64)
	if err != nil || !hmac.Equal([]byte(q.Get("hash")), []byte(s.urlMAC(id, q.Get("ext")))) {
		http.Error(w, "invalid URL", http.StatusNotFound)
		return
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		http.Error(w, "URL expired", http.StatusNotFound)
		return
	}
	f, ok := s.mediaByID(id)
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.downloads++
	fail, hold := s.failDownloads > 0, s.hold
	if fail {
		s.failDownloads--
	}
	s.mu.Unlock()
	if fail {
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", f.MIMEType)
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	if hold == nil {
		_, _ = w.Write(f.data)
		return
	}
	half := len(f.data) / 2
	_, _ = w.Write(f.data[:half])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	select {
	case <-hold:
		_, _ = w.Write(f.data[half:])
	case <-r.Context().Done():
	}
}

// errNoMediaDir is returned when the media directory cannot be made.
var errNoMediaDir = errors.New("sandbox: media directory")
