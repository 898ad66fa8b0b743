package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// get fetches url (with the test key unless noKey) through the transport
// that checks answers against openapi.json.
func (g *testGateway) get(url string, noKey bool, headers ...string) (*http.Response, []byte) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		g.t.Fatal(err)
	}
	if !noKey {
		req.Header.Set("X-Api-Key", testKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Transport: checkingTransport{t: g.t}}).Do(req)
	if err != nil {
		g.t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// sendPhoto plays a user sending photo through the sandbox.
func (g *testGateway) sendPhoto(t *testing.T, user string, photo []byte) string {
	t.Helper()
	r := g.do("POST", "/api/sandbox/inbound", `{"from":"`+user+`","to":"`+testSender+`","type":"image","text":"Mein Paket",`+
		`"mime_type":"image/jpeg","content":"`+base64.StdEncoding.EncodeToString(photo)+`"}`)
	if r.Status != 200 {
		t.Fatalf("sandbox inbound: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["msg_id"].(string)
}

// mediaEvent waits for the wa_mo of wamid and returns its data.
func (r *hookReceiver) mediaEvent(t *testing.T, wamid string) map[string]any {
	t.Helper()
	return r.event(t, "wa_mo", "wamid", wamid)
}

func photoBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	copy(b, "\xff\xd8\xff\xe0")
	return b
}

// TestInboundPhotoReachesCustomer: a user sends a photo through the
// sandbox; the customer's wa_mo describes it and its media_url serves, with
// no API key, bytes whose SHA-256 is the one Meta announced.
func TestInboundPhotoReachesCustomer(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"wa_mo","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
	photo := photoBytes(t, openwaba.MediaChunkSize+1234) // two chunks
	wamid := g.sendPhoto(t, "4917655501001", photo)
	data := recv.mediaEvent(t, wamid)

	// What Meta announced for the file (base64 in the webhook).
	in, err := g.store.InboundByWAMID(t.Context(), defaultAccount(t, g), wamid)
	if err != nil {
		t.Fatal(err)
	}
	metaSum, ok := openwaba.ParseMediaSHA256(in.Media.SHA256)
	if !ok {
		t.Fatalf("Meta's sha256 %q", in.Media.SHA256)
	}
	m, _ := data["media"].(map[string]any)
	if m == nil || m["type"] != "image" || m["mime_type"] != "image/jpeg" || m["caption"] != "Mein Paket" ||
		m["sha256"] != hex.EncodeToString(metaSum) || m["size"] != float64(len(photo)) || m["error"] != nil {
		t.Fatalf("wa_mo media %v", m)
	}
	url, _ := data["media_url"].(string)
	if !strings.HasPrefix(url, g.BaseURL+"/media/") {
		t.Fatalf("media_url %q", url)
	}
	resp, body := g.get(url, true)
	if sum := sha256.Sum256(body); resp.StatusCode != 200 || !bytes.Equal(sum[:], metaSum) {
		t.Fatalf("media_url: %d, %d bytes hashing to %x, want Meta's %x", resp.StatusCode, len(body), sum, metaSum)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=image-") {
		t.Errorf("Content-Disposition %q", cd)
	}

	// With the API key, a range across the chunk boundary.
	id := m["id"].(string)
	from := openwaba.MediaChunkSize - 10
	resp, part := g.get(g.BaseURL+"/api/waba/media/"+id, false, "Range", "bytes="+itoa(from)+"-"+itoa(from+19))
	if resp.StatusCode != 206 || !bytes.Equal(part, photo[from:from+20]) {
		t.Fatalf("range: %d %x, want %x", resp.StatusCode, part, photo[from:from+20])
	}

	for _, c := range []struct {
		name, url string
		noKey     bool
		status    int
	}{
		{"forged signature", strings.Replace(url, "&s=", "&s=x", 1), true, 403},
		{"other file, same signature", strings.Replace(url, "/media/"+id, "/media/"+id+"0", 1), true, 403},
		{"without key", g.BaseURL + "/api/waba/media/" + id, true, 401},
		{"unknown id", g.BaseURL + "/api/waba/media/999999", false, 404},
		{"not a number", g.BaseURL + "/api/waba/media/abc", false, 404},
	} {
		if resp, _ := g.get(c.url, c.noKey); resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
		}
	}

	if r := g.do("DELETE", "/api/waba/media/"+id, ""); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if resp, _ := g.get(url, true); resp.StatusCode != 404 {
		t.Errorf("media_url after delete: %d", resp.StatusCode)
	}
}

// TestInboundMediaSurvivesCrash stops the gateway in the middle of a
// download (the sandbox has sent half the file); nothing reached the
// customer. After the restart the download's lease runs out, the file is
// fetched again and the wa_mo arrives with it.
func TestInboundMediaSurvivesCrash(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.MediaDownloadLease = time.Second })
	recv := newHookReceiver(t)
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"wa_mo","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
	release := g.sandbox.HoldDownloads()
	defer release()
	photo := photoBytes(t, 300_000)
	wamid := g.sendPhoto(t, "4917655501002", photo)
	waitFor(t, "the download to start", func() bool { return g.sandbox.Downloads() > 0 })
	g.stop()
	if ev := recv.events(); len(ev) != 0 {
		t.Fatalf("webhooks before the file was stored: %v", ev)
	}

	g2 := startWithConfig(t, g.cfg)
	data := recv.mediaEvent(t, wamid)
	m, _ := data["media"].(map[string]any)
	sum := sha256.Sum256(photo)
	if m == nil || m["sha256"] != hex.EncodeToString(sum[:]) || m["error"] != nil {
		t.Fatalf("wa_mo media %v", m)
	}
	resp, body := g2.get(data["media_url"].(string), true)
	if resp.StatusCode != 200 || !bytes.Equal(body, photo) {
		t.Fatalf("media_url after restart: %d, %d bytes", resp.StatusCode, len(body))
	}
	if n := len(recv.events()); n != 1 {
		t.Errorf("%d webhooks, want one wa_mo", n)
	}
}

// TestInboundMediaRetriesServerErrors: Meta's download host answers 500
// twice; the download is retried and the wa_mo carries the file.
func TestInboundMediaRetriesServerErrors(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.mediaRetryBase = 10 * time.Millisecond })
	recv := newHookReceiver(t)
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"wa_mo","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
	g.sandbox.FailDownloads(2)
	photo := photoBytes(t, 5000)
	data := recv.mediaEvent(t, g.sendPhoto(t, "4917655501003", photo))
	m, _ := data["media"].(map[string]any)
	if m == nil || m["error"] != nil || data["media_url"] == nil {
		t.Fatalf("wa_mo %v", data)
	}
	if n := g.sandbox.Downloads(); n != 3 {
		t.Errorf("%d downloads, want 3 (two failed)", n)
	}
}

// TestInboundMediaGivenUp: every download fails; after the bounded
// attempts the wa_mo goes anyway, with media.error and no media_url.
func TestInboundMediaGivenUp(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.mediaRetryBase = time.Millisecond })
	recv := newHookReceiver(t)
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"wa_mo","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
	g.sandbox.FailDownloads(openwaba.MaxMediaAttempts)
	data := recv.mediaEvent(t, g.sendPhoto(t, "4917655501005", photoBytes(t, 100)))
	m, _ := data["media"].(map[string]any)
	if m == nil || m["error"] == nil || m["id"] != nil || m["sha256"] != nil || data["media_url"] != nil {
		t.Fatalf("wa_mo %v, want media.error and no url", data)
	}
	if !strings.Contains(m["error"].(string), "500") {
		t.Errorf("media.error %q does not say what failed", m["error"])
	}
	if n := g.sandbox.Downloads(); n != openwaba.MaxMediaAttempts {
		t.Errorf("%d downloads, want %d", n, openwaba.MaxMediaAttempts)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// upload posts a file to POST /api/waba/media as multipart/form-data and
// returns the answer.
func (g *testGateway) upload(t *testing.T, mimeType, filename string, data []byte) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", mimeType)
	fw, _ := mw.CreatePart(h)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, g.BaseURL+"/api/waba/media", &body)
	req.Header.Set("X-Api-Key", testKey)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := (&http.Client{Transport: checkingTransport{t: g.t}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestUploadOnceSendTwice: a file uploaded once is sent twice by media_id;
// WhatsApp gets one upload and two messages naming its media id.
func TestUploadOnceSendTwice(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.openWindow(testUser)
	photo := photoBytes(t, 200_000)
	st, up := g.upload(t, "image/jpeg", "katalog.jpg", photo)
	sum := sha256.Sum256(photo)
	if st != 200 || up["sha256"] != hex.EncodeToString(sum[:]) || up["size"] != float64(len(photo)) || up["mime_type"] != "image/jpeg" {
		t.Fatalf("upload: %d %v", st, up)
	}
	id := up["id"].(string)
	for range 2 {
		msg := firstID(t, g.send(`{"from":"`+testSender+`","to":"`+testUser+`","type":"image","media_id":"`+id+`","caption":"Katalog"}`))
		g.waitStatus(msg, "read")
	}
	uploads := g.sandbox.Uploads()
	if len(uploads) != 1 || !bytes.Equal(uploads[0].Data, photo) || uploads[0].MIMEType != "image/jpeg" {
		t.Fatalf("%d uploads to WhatsApp, want one of the file", len(uploads))
	}
	sent := 0
	for _, r := range g.sandbox.Sent() {
		if strings.Contains(string(r.Body), `"image":{"id":"`+uploads[0].ID+`"`) {
			sent++
		}
	}
	if sent != 2 {
		t.Errorf("%d messages named WhatsApp's media id %s, want 2", sent, uploads[0].ID)
	}
}

// TestMediaRefusedAtAccept: a file that breaks WhatsApp's limits for the
// type is refused when the message is accepted, with the rule named and
// nothing charged.
func TestMediaRefusedAtAccept(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.openWindow(testUser)
	st, big := g.upload(t, "video/mp4", "film.mp4", photoBytes(t, 16<<20+1))
	if st != 200 {
		t.Fatalf("upload: %d %v", st, big)
	}
	_, gif := g.upload(t, "image/gif", "a.gif", photoBytes(t, 100))
	before := g.balance(t)
	for _, c := range []struct{ body, want string }{
		{`"type":"video","media_id":"` + big["id"].(string) + `"`, "media_id: a video must be at most 16 MB"},
		{`"type":"image","media_id":"` + gif["id"].(string) + `"`, "media_id: an image must be one of image/jpeg, image/png"},
		{`"type":"image","media_id":"999999"`, "media_id: names no file of this account"},
		{`"type":"image","media_id":"x"`, "media_id: must be the id"},
		{`"type":"image","media_id":"1","url":"https://example.com/a.jpg"`, "media_id: and url exclude each other"},
	} {
		r := g.do("POST", "/api/waba/messages", `{"from":"`+testSender+`","to":"`+testUser+`",`+c.body+`}`)
		if r.Status != 400 || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s: %d %s, want 400 with %q", c.body, r.Status, r.Body, c.want)
		}
	}
	if after := g.balance(t); after != before {
		t.Errorf("balance %v after refused sends, was %v", after, before)
	}
	if n := len(g.sandbox.Uploads()); n != 0 {
		t.Errorf("%d uploads to WhatsApp", n)
	}
	for _, c := range []struct {
		name, ctype, body, want string
	}{
		{"no file part", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--x--\r\n", "file: is required"},
		{"no boundary", "multipart/form-data", "", "body: must be multipart/form-data"},
		{"neither file nor url", "application/json", `{}`, "file: or url is required"},
		{"url to the gateway's own network", "application/json", `{"url":"http://127.0.0.1:1/a.jpg"}`, "url:"},
		{"ftp url", "application/json", `{"url":"ftp://example.com/a.jpg"}`, "url: must be an http or https URL"},
	} {
		r := g.do("POST", "/api/waba/media", c.body, "Content-Type", c.ctype)
		if r.Status != 400 || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s: %d %s, want 400 with %q", c.name, r.Status, r.Body, c.want)
		}
	}
}

// TestPostgresMediaServedByEveryNode: on PostgreSQL, a photo one node
// fetched from WhatsApp is served by another node (files are in the
// database), by the API key and by the media_url the first node signed.
func TestPostgresMediaServedByEveryNode(t *testing.T) {
	t.Parallel()
	db := pgtest.Database(t)
	a := startTestGateway(t, func(c *config) { c.DatabaseURL = db })
	recv := newHookReceiver(t)
	if r := a.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"wa_mo","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
	photo := photoBytes(t, openwaba.MediaChunkSize+77)
	data := recv.mediaEvent(t, a.sendPhoto(t, "4917655501004", photo))
	id := data["media"].(map[string]any)["id"].(string)

	// A second node, started after the download: it never saw the file
	// (its data dir and sandbox are its own).
	b := startTestGateway(t, func(c *config) { c.DatabaseURL = db })
	resp, body := b.get(b.BaseURL+"/api/waba/media/"+id, false)
	if resp.StatusCode != 200 || !bytes.Equal(body, photo) {
		t.Fatalf("node b, API key: %d, %d bytes", resp.StatusCode, len(body))
	}
	signed := strings.Replace(data["media_url"].(string), a.BaseURL, b.BaseURL, 1)
	resp, body = b.get(signed, true)
	if resp.StatusCode != 200 || !bytes.Equal(body, photo) {
		t.Fatalf("node b, node a's media_url: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// TestMediaRetentionPerAccount: the account's retention, set on the
// command line, decides when an uploaded file expires; a bad DAYS is
// refused naming the rule.
func TestMediaRetentionPerAccount(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	account := strconv.FormatInt(defaultAccount(t, g), 10)
	if out, err := runCLI(t, g.cfg.DataDir, "accounts", "media-retention", "--account", account, "3"); err != nil || !strings.Contains(out, "3 days") {
		t.Fatalf("media-retention: %v %s", err, out)
	}
	_, up := g.upload(t, "application/pdf", "a.pdf", []byte("%PDF-1.4 x"))
	exp, err := time.Parse(time.RFC3339, up["expires_at"].(string))
	if err != nil || exp.Before(time.Now().Add(71*time.Hour)) || exp.After(time.Now().Add(73*time.Hour)) {
		t.Fatalf("expires_at %v (%v), want about 3 days from now", up["expires_at"], err)
	}
	if out, err := runCLI(t, g.cfg.DataDir, "accounts", "media-retention", "--account", account, "-1"); err == nil || !strings.Contains(out+err.Error(), "from 0 to 3650") {
		t.Errorf("negative DAYS: %v %s", err, out)
	}
}

// TestTemplateHeaderByMediaID: a template's image header takes a stored
// file by media_id (seven's shape and Meta's); WhatsApp gets one upload
// and the header names its media id. A header file that breaks the rules
// is refused at accept.
func TestTemplateHeaderByMediaID(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	_, up := g.upload(t, "image/png", "x.png", photoBytes(t, 3000))
	id := up["id"].(string)
	for _, header := range []string{`{"type":"image","media_id":"` + id + `"}`, `{"type":"image","image":{"id":"` + id + `"}}`} {
		msg := firstID(t, g.send(`{"from":"`+testSender+`","to":"`+testUser+`","type":"template","template":"product_available","language":"en",`+
			`"components":{"header":[`+header+`],"body":["Model X"]}}`))
		g.waitStatus(msg, "read")
	}
	uploads := g.sandbox.Uploads()
	if len(uploads) != 1 {
		t.Fatalf("%d uploads, want 1", len(uploads))
	}
	named := 0
	for _, r := range g.sandbox.Sent() {
		if strings.Contains(string(r.Body), `"image":{"id":"`+uploads[0].ID+`"}`) {
			named++
		}
	}
	if named != 2 {
		t.Errorf("%d sends named the uploaded id in the header, want 2", named)
	}
	_, pdf := g.upload(t, "application/pdf", "a.pdf", []byte("%PDF-1.4"))
	r := g.do("POST", "/api/waba/messages", `{"from":"`+testSender+`","to":"`+testUser+`","type":"template","template":"product_available","language":"en",`+
		`"components":{"header":[{"type":"image","media_id":"`+pdf["id"].(string)+`"}],"body":["Model X"]}}`)
	if r.Status != 400 || !strings.Contains(string(r.Body), "components.header[0].media_id: an image must be one of") {
		t.Errorf("pdf as image header: %d %s", r.Status, r.Body)
	}
}

// fileServer serves data as mimeType at /file.
func fileServer(t *testing.T, mimeType string, data []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", mimeType)
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/katalog.jpg"
}

// TestMediaModes: in mode upload a url is fetched once at accept (and
// checked against WhatsApp's limits before anything is charged), then
// uploaded; in mode auto a link WhatsApp could not fetch (131053) is
// fetched by the gateway and the message goes again as an upload.
func TestMediaModes(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	g.openWindow(testUser)
	account := strconv.FormatInt(defaultAccount(t, g), 10)
	photo := photoBytes(t, 4000)
	url := fileServer(t, "image/jpeg", photo)
	mode := func(m string) {
		t.Helper()
		if out, err := runCLI(t, g.cfg.DataDir, "accounts", "media-mode", "--account", account, m); err != nil || !strings.Contains(out, "mode "+m) {
			t.Fatalf("media-mode %s: %v %s", m, err, out)
		}
	}
	image := func(u string) string {
		return `{"from":"` + testSender + `","to":"` + testUser + `","type":"image","url":"` + u + `"}`
	}

	mode("upload")
	g.waitStatus(firstID(t, g.send(image(url))), "read")
	if u := g.sandbox.Uploads(); len(u) != 1 || !bytes.Equal(u[0].Data, photo) {
		t.Fatalf("upload mode: %d uploads", len(u))
	}
	before := g.balance(t)
	big := fileServer(t, "image/jpeg", photoBytes(t, 5<<20+1))
	if r := g.do("POST", "/api/waba/messages", image(big)); r.Status != 400 || !strings.Contains(string(r.Body), "url: an image must be at most 5 MB") {
		t.Errorf("upload mode, oversize: %d %s", r.Status, r.Body)
	}
	if after := g.balance(t); after != before {
		t.Errorf("balance %v after a refused send, was %v", after, before)
	}

	mode("auto")
	other := photoBytes(t, 5000)
	g.sandbox.InjectError(openwaba.MetaCodeMediaUpload, 1) // WhatsApp cannot fetch the link
	g.waitStatus(firstID(t, g.send(image(fileServer(t, "image/jpeg", other)))), "read")
	if u := g.sandbox.Uploads(); len(u) != 2 || !bytes.Equal(u[1].Data, other) {
		t.Fatalf("auto mode: %d uploads, want the second of the link's file", len(u))
	}

	mode("link")
	g.waitStatus(firstID(t, g.send(image(url))), "read")
	if u := g.sandbox.Uploads(); len(u) != 2 {
		t.Errorf("link mode uploaded: %d uploads", len(u))
	}
	if out, err := runCLI(t, g.cfg.DataDir, "accounts", "media-mode", "--account", account, "sometimes"); err == nil {
		t.Errorf("unknown mode accepted: %s", out)
	}
}
