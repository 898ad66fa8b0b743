package media

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/openwaba/openwaba"
)

// TestOpen: the one fetch of a customer's file answers its body, type and
// name, or an error that says what the URL's answer was.
func TestOpen(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "openwaba" {
			t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
		}
		switch r.URL.Path {
		case "/files/cat.jpg", "/":
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write([]byte("jpeg bytes"))
		case "/moved":
			http.Redirect(w, r, "/files/cat.jpg", http.StatusFound)
		case "/huge":
			w.Header().Set("Content-Length", strconv.Itoa(openwaba.MaxMediaSize+1))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path, wantErr, wantName string
	}{
		{"/files/cat.jpg", "", "cat.jpg"},
		{"/", "", ""},
		{"/missing.png", "answered HTTP 404", ""},
		{"/moved", "answered HTTP 302, want 200 (redirects are not followed)", ""},
		{"/huge", "at most 100 MB", ""},
	} {
		u, err := ParseURL(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, ctype, name, err := Open(t.Context(), noRedirects, u)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one with %q", tc.path, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		b, _ := io.ReadAll(body)
		body.Close()
		if tc.path == "/files/cat.jpg" && (string(b) != "jpeg bytes" || ctype != "image/jpeg") {
			t.Errorf("%s: body %q, type %q", tc.path, b, ctype)
		}
		if name != tc.wantName {
			t.Errorf("%s: name %q, want %q", tc.path, name, tc.wantName)
		}
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"https://files.invalid/a.png": true, " http://127.0.0.1:1/a.png ": true,
		"ftp://files.invalid/a.png": false, "https://": false, "not a url": false, "": false, "file:///etc/passwd": false,
	} {
		if _, err := ParseURL(raw); (err == nil) != ok {
			t.Errorf("ParseURL(%q): %v, want ok %v", raw, err, ok)
		}
	}
}
