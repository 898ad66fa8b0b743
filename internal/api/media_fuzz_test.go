package api

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzUploadMedia drives the decoding of POST /api/waba/media's
// multipart body (uploadPart, then mediaType) with any body and any
// boundary. Properties: no panic; every refusal is a field error (a 400
// naming the field); an accepted upload yields the file part's bytes
// exactly, sniffed or not, and a MIME type with a slash.
func FuzzUploadMedia(f *testing.F) {
	seed := func(fields map[string]string, ctype string, data []byte) []byte {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.SetBoundary("BOUNDARY")
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		h := map[string][]string{"Content-Disposition": {`form-data; name="file"; filename="a.jpg"`}}
		if ctype != "" {
			h["Content-Type"] = []string{ctype}
		}
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(data)
		_ = mw.Close()
		return b.Bytes()
	}
	f.Add("BOUNDARY", seed(nil, "image/jpeg", []byte("\xff\xd8\xff\xe0jpeg")))
	f.Add("BOUNDARY", seed(map[string]string{"type": "video/mp4", "filename": "f.mp4"}, "", []byte("....ftypmp42")))
	f.Add("BOUNDARY", seed(nil, "", []byte("%PDF-1.4")))
	f.Add("BOUNDARY", seed(map[string]string{"type": "not a type"}, "", []byte("x")))
	f.Add("BOUNDARY", seed(nil, "", nil))
	f.Add("BOUNDARY", []byte("--BOUNDARY\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--BOUNDARY--\r\n"))
	f.Add("", []byte("garbage"))
	f.Fuzz(func(t *testing.T, boundary string, body []byte) {
		r := httptest.NewRequest("POST", "/api/waba/media", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		part, fields, err := uploadPart(r, httptest.NewRecorder())
		if err != nil {
			asFieldError(t, "uploadPart", err)
			return
		}
		defer part.Close()
		// What the part holds, read by the standard library on its own,
		// with the boundary as the header gives it (mime trims spaces and
		// quotes around it, as the request's parser does).
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		want, werr := io.ReadAll(reparse(t, params["boundary"], body))
		// As uploadMedia does: the field type wins over the part's header.
		mt, src, err := mediaType(pick(fields["type"], part.Header.Get("Content-Type")), part)
		if err != nil {
			asFieldError(t, "mediaType", err)
			return
		}
		if !strings.Contains(mt, "/") {
			t.Fatalf("MIME type %q", mt)
		}
		got, gerr := io.ReadAll(src)
		if werr == nil && gerr == nil && !bytes.Equal(got, want) {
			t.Fatalf("file bytes changed: got %q, want %q", got, want)
		}
	})
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// reparse finds the file part of body anew, for comparison.
func reparse(t *testing.T, boundary string, body []byte) io.Reader {
	t.Helper()
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return strings.NewReader("")
		}
		if p.FormName() == "file" {
			return p
		}
	}
}
