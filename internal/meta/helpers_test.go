package meta_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/metaspec"
	"github.com/openwaba/openwaba/internal/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	token     = "sandbox-token"
	appSecret = "sandbox-app-secret"
	verify    = "verify-me"
	phoneID   = "106540352242922"
	wabaID    = "102290129340398"
	display   = "15550783881"
	user      = "491701234567"
)

var sender = openwaba.Sender{Number: display, PhoneNumberID: phoneID, WABAID: wabaID}

// env is a sandbox over real HTTP, a client pointed at it, and the
// adapter's own webhook handler receiving the sandbox's webhooks.
type env struct {
	sb     *sandbox.Sandbox
	graph  *httptest.Server
	client *meta.Client
	sink   *sink
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := newSink()
	hooks := httptest.NewServer(meta.NewWebhookHandler(meta.WebhookConfig{
		AppSecret: appSecret, VerifyToken: verify, Sink: s,
	}))
	t.Cleanup(hooks.Close)
	sb := sandbox.New(sandbox.Config{
		AccessToken: token,
		AppSecret:   appSecret,
		WebhookURL:  hooks.URL,
		StatusDelay: 5 * time.Millisecond,
		Spec:        loadSpec(t),
	})
	sb.AddNumber(phoneID, wabaID, display)
	graph := httptest.NewServer(sb)
	t.Cleanup(graph.Close)
	t.Cleanup(sb.Close) // first: no webhooks to closed servers
	return &env{sb: sb, graph: graph, client: newClient(graph.URL, token), sink: s}
}

// specOnce compiles Meta's schemas once for the whole test binary.
var specOnce = sync.OnceValues(metaspec.Load)

// loadSpec returns the schemas every sandbox of these tests checks the
// adapter's requests against.
func loadSpec(t *testing.T) *metaspec.Spec {
	t.Helper()
	spec, err := specOnce()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func newClient(graphURL, accessToken string) *meta.Client {
	return meta.NewClient(meta.Config{GraphURL: graphURL, APIVersion: "v23.0", AccessToken: accessToken})
}

// lastBody returns the body of the last request the sandbox received.
func (e *env) lastBody(t *testing.T) []byte {
	t.Helper()
	sent := e.sb.Sent()
	if len(sent) == 0 {
		t.Fatal("the sandbox received nothing")
	}
	return sent[len(sent)-1].Body
}

// openWindow has the test user write to the number, so that free-form
// messages are delivered, and returns the inbound wamid.
func (e *env) openWindow(t *testing.T) string {
	t.Helper()
	wamid, err := e.sb.Inbound(context.Background(), user, display, "Hallo")
	if err != nil {
		t.Fatal(err)
	}
	return wamid
}

// sink collects notifications; failing makes it refuse them.
type sink struct {
	mu      sync.Mutex
	failing error
	refused int // notifications refused while failing
	got     []meta.Notification
	events  chan any // openwaba.StatusUpdate or openwaba.InboundMessage
}

func newSink() *sink { return &sink{events: make(chan any, 100)} }

func (s *sink) HandleNotification(_ context.Context, n meta.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing != nil {
		s.refused++
		return s.failing
	}
	s.got = append(s.got, n)
	for _, c := range n.Changes {
		for _, m := range c.Messages {
			s.events <- m
		}
		for _, u := range c.Statuses {
			s.events <- u
		}
	}
	return nil
}

func (s *sink) setFailing(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = err
}

func (s *sink) refusedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func (s *sink) notifications() []meta.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]meta.Notification(nil), s.got...)
}

func (s *sink) next(t *testing.T) any {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the sink within 5s")
		return nil
	}
}

// assertGolden compares JSON with testdata/name semantically (key order
// and spacing do not matter), or rewrites the file with -update.
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var v any
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
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
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("request differs from %s:\ngot:  %s\nwant: %s", path, got, compact(want))
	}
}

func compact(b []byte) string {
	var v any
	json.Unmarshal(b, &v)
	out, _ := json.Marshal(v)
	return string(out)
}

// rawServer is a real HTTP server answering like something in front of
// Graph might (a proxy's error page, a hang), which the sandbox is not.
func rawServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
