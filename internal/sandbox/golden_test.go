package sandbox

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// normalize replaces the random parts of a body so it can be compared.
var randomParts = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`wamid\.[A-Za-z0-9_-]+`), "wamid.RANDOM"},
	{regexp.MustCompile(`"id":"[0-9a-f]{32}"`), `"id":"CONVERSATION"`},
	{regexp.MustCompile(`"fbtrace_id":"[A-Za-z0-9_-]+"`), `"fbtrace_id":"TRACE"`},
}

func normalize(b []byte) []byte {
	for _, p := range randomParts {
		b = p.re.ReplaceAll(b, []byte(p.repl))
	}
	return b
}

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = normalize(got)
	path := filepath.Join("testdata", name)
	if *update {
		var v any
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("differs from %s:\ngot: %s", path, got)
	}
}

// TestWireGolden pins the sandbox's output to Meta's shapes: the webhook
// envelopes and the error body.
func TestWireGolden(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, clock.now)
	e.inbound(t, "Grüße")
	inbound := e.rcv.received()[0]

	r := e.send(t, `{"messaging_product":"whatsapp","to":"`+testUser+`","type":"text","text":{"body":"x"},"biz_opaque_callback_data":"cb-1"}`)
	var statuses [][]byte
	for range 3 {
		statuses = append(statuses, e.rcv.next(t).Raw)
	}
	refused := e.send(t, `{"messaging_product":"whatsapp","to":"`+testUser+`","type":"text","text":{"body":""}}`)
	errBody, _ := json.Marshal(refused.Body)

	tests := []struct {
		golden string
		body   []byte
	}{
		{"webhook_inbound_text.json", inbound},
		{"webhook_status_sent.json", statuses[0]},
		{"webhook_status_delivered.json", statuses[1]},
		{"webhook_status_read.json", statuses[2]},
		{"send_response.json", mustJSON(t, r.Body)},
		{"error_missing_body.json", errBody},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			assertGolden(t, tt.golden, tt.body)
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
