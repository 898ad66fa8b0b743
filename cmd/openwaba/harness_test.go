package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba/client"
	"github.com/openwaba/openwaba/internal/api/openapitest"
	"github.com/openwaba/openwaba/internal/metaspec"
	"github.com/openwaba/openwaba/internal/metrics"
)

const (
	testKey    = "test-key-0123456789"
	testSender = "4915112345678"
	testUser   = "4917612345678"
)

// testGateway is a real gateway on a loopback port with its own data dir
// and its embedded sandbox.
type testGateway struct {
	*gateway
	t       testing.TB
	BaseURL string
	cfg     config
}

// specOnce compiles Meta's OpenAPI spec once for all test gateways:
// compiling takes a second under the race detector.
var specOnce = sync.OnceValues(metaspec.Load)

func testConfig(t *testing.T) config {
	spec, err := specOnce()
	if err != nil {
		t.Fatal(err)
	}
	return config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), APIKey: testKey, LogLevel: "warn",
		MetaGraphURL: "https://graph.facebook.com", MetaAPIVersion: "v23.0",
		SandboxAddr: "127.0.0.1:0", SandboxStatusDelay: 5 * time.Millisecond,
		WebhookAllowPrivate: true, WebhookTimeout: 2 * time.Second, // test receivers listen on loopback
		ReadHeaderTimeout: defaultReadHeaderTimeout, ReadTimeout: defaultReadTimeout, WriteTimeout: defaultWriteTimeout,
		IdleTimeout: defaultIdleTimeout, MaxConnectionsPerIP: defaultMaxConnectionsPerIP,
		MaxUnauthenticatedPerIP: defaultMaxUnauthenticatedPerIP, DrainGrace: 0, ShutdownTimeout: defaultShutdownTimeout,
		sandboxSpec: spec, observeConfig: observeConfig{MetricsAllow: metrics.Loopback},
	}
}

func startTestGateway(t *testing.T, mutate ...func(*config)) *testGateway {
	t.Helper()
	cfg := testConfig(t)
	for _, m := range mutate {
		m(&cfg)
	}
	return startWithConfig(t, cfg)
}

func startWithConfig(t *testing.T, cfg config) *testGateway {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	g, err := startGateway(context.Background(), cfg, log, io.Discard)
	if err != nil {
		t.Fatalf("starting gateway: %v", err)
	}
	tg := &testGateway{gateway: g, t: t, BaseURL: "http://" + g.Addr, cfg: cfg}
	t.Cleanup(func() { tg.stop() })
	return tg
}

func (g *testGateway) stop() {
	if g.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		g.t.Errorf("shutdown: %v", err)
	}
	g.server = nil
}

// testWriter sends the gateway's log to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type response struct {
	Status int
	Body   []byte
}

func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.Status, r.Body)
	}
	return m
}

// do sends a request with the test key unless headers name another.
func (g *testGateway) do(method, path, body string, headers ...string) response {
	g.t.Helper()
	req, err := http.NewRequest(method, g.BaseURL+path, strings.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", testKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Transport: checkingTransport{t: g.t}}).Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b}
}

// client is the Go SDK pointed at the gateway with the test key. Every
// response it gets is checked against openapi.json.
func (g *testGateway) client(opts ...client.Option) *client.Client {
	return newTestClient(g.t, g.BaseURL, testKey, opts...)
}

func newTestClient(t testing.TB, baseURL, key string, opts ...client.Option) *client.Client {
	hc := &http.Client{Transport: checkingTransport{t: t}}
	opts = append([]client.Option{client.WithHTTPClient(hc), client.WithBackoff(time.Millisecond, 10*time.Millisecond)}, opts...)
	return client.New(baseURL+"/api", key, opts...)
}

var openAPIDoc = sync.OnceValues(openapitest.Load)

// checkingTransport fails the test when a response of the gateway is not
// described by internal/api/openapi.json (path, method, status, body
// schema): the end-to-end tests keep the document honest.
type checkingTransport struct{ t testing.TB }

func (c checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	doc, err := openAPIDoc()
	if err != nil {
		c.t.Errorf("loading openapi.json: %v", err)
		return resp, nil
	}
	if err := doc.Check(req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), body); err != nil {
		c.t.Errorf("openapi.json: %v", err)
	}
	return resp, nil
}

// send posts a message and returns the decoded response.
func (g *testGateway) send(body string) map[string]any {
	g.t.Helper()
	r := g.do("POST", "/api/waba/messages", body)
	if r.Status != 200 {
		g.t.Fatalf("send: status %d: %s", r.Status, r.Body)
	}
	return r.JSON(g.t)
}

// openWindow has the sandbox's user write to our sender, as Meta would
// report it, which opens the 24-hour window.
func (g *testGateway) openWindow(user string) {
	g.t.Helper()
	if _, err := g.client().SandboxInbound(context.Background(), user, testSender, "Hello!"); err != nil {
		g.t.Fatalf("sandbox inbound: %v", err)
	}
}

// waitStatus polls the message until it reaches status (or fails the
// test after a generous deadline: this is not a timing assertion). read
// is reached by a voice message that went on to played.
func (g *testGateway) waitStatus(id, status string) *client.MessageStatus {
	g.t.Helper()
	c := g.client()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := c.Status(context.Background(), id)
		if err != nil {
			g.t.Fatalf("GET message %s: %v", id, err)
		}
		if m.Status == status || (status == client.StatusRead && m.Status == client.StatusPlayed) {
			return m
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("message %s: status %v, want %s: %+v", id, m.Status, status, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendMsg sends with the client, from the test sender to the test user
// unless req says otherwise, and fails the test on an error.
func (g *testGateway) sendMsg(req client.SendRequest) *client.SendResponse {
	g.t.Helper()
	if req.From == "" {
		req.From = testSender
	}
	if len(req.To) == 0 {
		req.To = []string{testUser}
	}
	resp, err := g.client().Send(context.Background(), req)
	if err != nil {
		g.t.Fatalf("send: %v", err)
	}
	return resp
}

// sentID is the id of the first message of a response.
func sentID(t *testing.T, resp *client.SendResponse) string {
	t.Helper()
	ids := resp.IDs()
	if len(ids) == 0 {
		t.Fatalf("no id in %+v", resp)
	}
	return ids[0]
}

// apiError unwraps the *client.APIError of err, failing the test when
// there is none.
func apiError(t *testing.T, err error) *client.APIError {
	t.Helper()
	e, ok := errors.AsType[*client.APIError](err)
	if !ok {
		t.Fatalf("err = %v, want a *client.APIError", err)
	}
	return e
}

func firstID(t *testing.T, resp map[string]any) string {
	t.Helper()
	msgs, _ := resp["messages"].([]any)
	if len(msgs) == 0 {
		t.Fatalf("no messages in %v", resp)
	}
	id, _ := msgs[0].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("no id in %v", resp)
	}
	return id
}

// idField matches a message id in a response.
var idField = regexp.MustCompile(`"id":"[0-9]+"`)

// normalize masks what differs between runs (message ids) and indents the
// response, keeping its field order, so that it can be compared with its
// golden file.
func normalize(t *testing.T, body []byte) []byte {
	t.Helper()
	masked := idField.ReplaceAll(body, []byte(`"id":"<id>"`))
	var buf bytes.Buffer
	if err := json.Indent(&buf, masked, "", "  "); err != nil {
		return masked
	}
	return buf.Bytes()
}
