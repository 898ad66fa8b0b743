package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/metaspec"
)

// With a Spec the sandbox refuses what Meta's OpenAPI schemas refuse, as
// Graph does, with code 100 and the violation in error_data.details; what
// conforms still goes through the sandbox's own checks.
func TestSpecConformance(t *testing.T) {
	t.Parallel()
	spec, err := metaspec.Load()
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	sb := New(Config{AccessToken: testToken, AppSecret: testSecret, WebhookURL: rcv.srv.URL,
		StatusDelay: time.Hour, Spec: spec})
	sb.AddNumber(testPhoneID, testWABA, testDisplay)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	e := &env{sb: sb, srv: srv, rcv: rcv}

	const base = `"messaging_product":"whatsapp","recipient_type":"individual","to":"` + testUser + `"`
	tests := []struct {
		name    string
		body    string
		status  int
		code    int
		details string
	}{
		{"conforming template", `{` + base + `,"type":"template","template":{"name":"hello_world","language":{"code":"en","policy":"deterministic"}}}`, http.StatusOK, 0, ""},
		{"conforming text", `{` + base + `,"type":"text","text":{"body":"hi"},"biz_opaque_callback_data":"x"}`, http.StatusOK, 0, ""},
		{"unknown field", `{` + base + `,"type":"text","text":{"body":"hi","bold":true}}`, http.StatusBadRequest, 100, "bold"},
		{"no recipient_type", `{"messaging_product":"whatsapp","to":"` + testUser + `","type":"text","text":{"body":"hi"}}`, http.StatusBadRequest, 100, "recipient_type"},
		{"numeric coordinates", `{` + base + `,"type":"location","location":{"latitude":1.5,"longitude":2}}`, http.StatusBadRequest, 100, "latitude"},
		{"template without policy", `{` + base + `,"type":"template","template":{"name":"hello_world","language":{"code":"en"}}}`, http.StatusBadRequest, 100, "policy"},
		// Conforming to the yaml is not enough: the sandbox's own limits
		// still apply after it.
		{"conforming but too long", `{` + base + `,"type":"text","text":{"body":"` + strings.Repeat("x", 4097) + `"}}`, http.StatusBadRequest, 131009, "text.body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.send(t, tt.body)
			if r.Status != tt.status || r.Code != tt.code || !strings.Contains(r.Details, tt.details) {
				t.Errorf("got %d code %d %q, want %d code %d naming %q", r.Status, r.Code, r.Details, tt.status, tt.code, tt.details)
			}
		})
	}
}
