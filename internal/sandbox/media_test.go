package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// upload posts a file to the media endpoint as Meta's docs show it.
func (e *env) upload(t *testing.T, token, mimeType string, data []byte, product string) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if product != "" {
		_ = mw.WriteField("messaging_product", product)
	}
	_ = mw.WriteField("type", mimeType)
	fw, _ := mw.CreateFormFile("file", "photo.jpg")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v23.0/"+testPhoneID+"/media", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return decodeResponse(t, req)
}

func decodeResponse(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	if eo, ok := r.Body["error"].(map[string]any); ok {
		r.Code = int(eo["code"].(float64))
	}
	return r
}

func download(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestMediaUploadRetrieveDownload(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	e := newEnv(t, func() time.Time { return time.Unix(0, now.Load()) })
	data := bytes.Repeat([]byte{0xff, 0xd8, 0x00, 'j'}, 5000)
	sum := sha256.Sum256(data)

	for _, c := range []struct {
		name, token, product string
		status, code         int
	}{
		{"no token", "", "whatsapp", 401, 190},
		{"no messaging_product", testToken, "", 400, 100},
	} {
		if r := e.upload(t, c.token, "image/jpeg", data, c.product); r.Status != c.status || r.Code != c.code {
			t.Errorf("%s: %d %v, want %d code %d", c.name, r.Status, r.Body, c.status, c.code)
		}
	}
	up := e.upload(t, testToken, "image/jpeg", data, "whatsapp")
	id, _ := up.Body["id"].(string)
	if up.Status != 200 || id == "" || digits(id) != id {
		t.Fatalf("upload: %d %v", up.Status, up.Body)
	}
	if u := e.sb.Uploads(); len(u) != 1 || u[0].ID != id || !bytes.Equal(u[0].Data, data) || u[0].MIMEType != "image/jpeg" {
		t.Fatalf("Uploads() = %+v", u)
	}

	info := e.do(t, http.MethodGet, "/v23.0/"+id, testToken, "")
	if info.Status != 200 || info.Body["sha256"] != hex.EncodeToString(sum[:]) || info.Body["mime_type"] != "image/jpeg" ||
		info.Body["file_size"] != "20000" || info.Body["id"] != id || info.Body["messaging_product"] != "whatsapp" {
		t.Fatalf("retrieve: %d %v", info.Status, info.Body)
	}
	if r := e.do(t, http.MethodGet, "/v23.0/"+id+"?phone_number_id=999", testToken, ""); r.Status != 400 || r.Code != 100 {
		t.Errorf("retrieve for another number: %d %v", r.Status, r.Body)
	}
	if r := e.do(t, http.MethodGet, "/v23.0/"+id, "wrong", ""); r.Code != 190 {
		t.Errorf("retrieve with a wrong token: %d %v", r.Status, r.Body)
	}
	url := info.Body["url"].(string)
	if st, _ := download(t, url, ""); st != 401 {
		t.Errorf("download without the token: %d", st)
	}
	if st, _ := download(t, url+"x", testToken); st != 404 {
		t.Errorf("download of a forged URL: %d", st)
	}
	e.sb.FailDownloads(1)
	if st, _ := download(t, url, testToken); st != 500 {
		t.Errorf("injected failure: %d", st)
	}
	if st, b := download(t, url, testToken); st != 200 || !bytes.Equal(b, data) {
		t.Fatalf("download: %d, %d bytes", st, len(b))
	}
	now.Add(int64(MediaURLLifetime))
	if st, _ := download(t, url, testToken); st != 404 {
		t.Errorf("download after the URL expired: %d", st)
	}
	now.Add(int64(MediaIDLifetime))
	if r := e.do(t, http.MethodGet, "/v23.0/"+id, testToken, ""); r.Status != 400 {
		t.Errorf("retrieve after the id expired: %d %v", r.Status, r.Body)
	}
}

func TestInboundMediaHasRealBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	photo := []byte("\xff\xd8\xff\xe0 a real photo")
	wamid, err := e.sb.InboundMessage(context.Background(), testUser, testDisplay,
		UserMessage{Type: InboundImage, Text: "my parcel", Data: photo, MIMEType: "image/png"})
	if err != nil {
		t.Fatal(err)
	}
	ev := e.rcv.next(t)
	if ev.WAMID != wamid {
		t.Fatalf("webhook %+v", ev)
	}
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						Image whMedia `json:"image"`
					} `json:"messages"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(ev.Raw, &env); err != nil {
		t.Fatal(err)
	}
	img := env.Entry[0].Changes[0].Value.Messages[0].Image
	sum := sha256.Sum256(photo)
	if img.SHA256 != base64.StdEncoding.EncodeToString(sum[:]) || img.MimeType != "image/png" || img.Caption != "my parcel" {
		t.Fatalf("image %+v", img)
	}
	info := e.do(t, http.MethodGet, "/v23.0/"+img.ID+"?phone_number_id="+testPhoneID, testToken, "")
	if info.Body["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("retrieve: %v", info.Body)
	}
	if st, b := download(t, info.Body["url"].(string), testToken); st != 200 || !bytes.Equal(b, photo) {
		t.Fatalf("download: %d %q", st, b)
	}
	if e.do(t, http.MethodDelete, "/v23.0/"+img.ID, testToken, "").Body["success"] != true {
		t.Fatal("delete failed")
	}
	if r := e.do(t, http.MethodGet, "/v23.0/"+img.ID, testToken, ""); r.Status != 400 {
		t.Errorf("retrieve after delete: %d", r.Status)
	}
}
