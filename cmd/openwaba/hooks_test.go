package main

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// hookReceiver is a customer's webhook endpoint: a real HTTP server that
// keeps the envelopes it got, each checked against openapi.json's webhooks.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []map[string]any
	reqs []signedRequest
}

// signedRequest is what a receiver needs to check a webhook's signature.
type signedRequest struct {
	method, url string
	header      http.Header
	body        []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var env map[string]any
		body, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		if doc, err := openAPIDoc(); err != nil {
			t.Errorf("loading openapi.json: %v", err)
		} else if err := doc.CheckWebhook(body); err != nil {
			t.Errorf("openapi.json: %v", err)
		}
		r.mu.Lock()
		r.got = append(r.got, env)
		r.reqs = append(r.reqs, signedRequest{req.Method, "http://" + req.Host + req.URL.RequestURI(), req.Header.Clone(), body})
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// events returns "event:status" (or "event:type" for wa_mo) of what
// arrived, in order.
func (r *hookReceiver) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, env := range r.got {
		data, _ := env["data"].(map[string]any)
		what := data["status"]
		if env["webhook_event"] == "wa_mo" || env["webhook_event"] == "tracking" {
			what = data["type"]
		}
		w, _ := what.(string)
		out = append(out, env["webhook_event"].(string)+":"+w)
	}
	return out
}

func (r *hookReceiver) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ev := r.events(); len(ev) >= n {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %v, want %d webhooks", r.events(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHooksEndToEnd: a customer registers a webhook through seven's hooks
// API and receives the status reports of a message sent through the
// sandbox, with its foreign_id, and the inbound message a user writes.
func TestHooksEndToEnd(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`/all","event_type":"all","request_method":"JSON"}`)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"success":true`) {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}
	body := strings.Replace(helloWorld, `"language":"de"`, `"language":"de","foreign_id":"order-42","label":"launch"`, 1)
	id := firstID(t, g.send(body))
	g.waitStatus(id, "read")
	got := recv.wait(t, 5)
	want := "dlr:TRANSMITTED dlr:DELIVERED wa_status:sent wa_status:delivered wa_status:read"
	if strings.Join(slices.Sorted(slices.Values(got)), " ") != strings.Join(slices.Sorted(slices.Values(strings.Fields(want))), " ") {
		t.Fatalf("webhooks %v, want %s", got, want)
	}
	recv.mu.Lock()
	first := recv.got[0]["data"].(map[string]any)
	recv.mu.Unlock()
	if first["msg_id"] != id || first["foreign_id"] != "order-42" || first["label"] != "launch" || first["sender"] != testSender {
		t.Errorf("status report %v", first)
	}

	g.openWindow("4917600000042")
	got = recv.wait(t, 6)
	if got[5] != "wa_mo:text" {
		t.Errorf("last webhook %s, want wa_mo:text", got[5])
	}
}

// TestHooksAPI: seven's hooks API — create (JSON or form), list, delete —
// with its validation, and no way into another account's hooks.
func TestHooksAPI(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ctx := context.Background()
	r := g.do("POST", "/api/hooks", "target_url=https%3A%2F%2Fhooks.example.com%2Fwa&event_type=wa_mo&event_filter=%2B49+151+12345678&headers=X-Customer%3A+acme",
		"Content-Type", "application/x-www-form-urlencoded")
	if r.Status != 200 || string(r.Body) != `{"success":true,"id":1}`+"\n" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r = g.do("GET", "/api/hooks", "")
	var list struct {
		Success bool
		Hooks   []map[string]any
	}
	if err := json.Unmarshal(r.Body, &list); err != nil || !list.Success || len(list.Hooks) != 1 {
		t.Fatalf("list: %s", r.Body)
	}
	h := list.Hooks[0]
	if h["id"] != "1" || h["target_url"] != "https://hooks.example.com/wa" || h["event_type"] != "wa_mo" || h["request_method"] != "POST" ||
		h["event_filter"] != "4915112345678" || h["headers"] != "X-Customer: acme" || h["enabled"] != true {
		t.Errorf("hook %v", h)
	}

	bad := []struct{ name, body, msg string }{
		{"no target", `{"event_type":"dlr"}`, "target_url: is required"},
		{"not http", `{"target_url":"ftp://example.com","event_type":"dlr"}`, "target_url: must be an http(s) URL"},
		{"no event type", `{"target_url":"https://example.com"}`, "event_type: is required"},
		{"sms event type", `{"target_url":"https://example.com","event_type":"sms_mo"}`, `event_type: openwaba delivers all, dlr, wa_mo, wa_status, tracking, number_quality, template_status, opt_out and opt_in, got "sms_mo"`},
		{"method", `{"target_url":"https://example.com","event_type":"dlr","request_method":"PUT"}`, "request_method: must be JSON, POST or GET"},
		{"filter", `{"target_url":"https://example.com","event_type":"dlr","event_filter":"abc"}`, "event_filter: must be one of your sender numbers"},
		{"headers", `{"target_url":"https://example.com","event_type":"dlr","headers":"X-Signature: x"}`, "headers: X-Signature is set by openwaba"},
	}
	for _, tc := range bad {
		r := g.do("POST", "/api/hooks", tc.body)
		var res struct {
			Success      bool
			Code         string
			ErrorMessage string `json:"error_message"`
		}
		json.Unmarshal(r.Body, &res)
		if r.Status != 400 || res.Success || res.Code != "400" || !strings.HasPrefix(res.ErrorMessage, tc.msg) {
			t.Errorf("%s: %d %s, want 400 %q", tc.name, r.Status, r.Body, tc.msg)
		}
	}

	// Another account sees none of it and cannot delete it.
	other, err := g.store.CreateAccount(ctx, openwaba.Account{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	otherKey := rand.Text()
	if _, err := g.store.CreateAPIKey(ctx, openwaba.APIKey{AccountID: other.ID, Hash: api.HashKey(otherKey), Scopes: []openwaba.Scope{openwaba.ScopeHooks}}); err != nil {
		t.Fatal(err)
	}
	if r := g.do("GET", "/api/hooks", "", "X-Api-Key", otherKey); string(r.Body) != `{"success":true,"hooks":[]}`+"\n" {
		t.Errorf("other account lists %s", r.Body)
	}
	if r := g.do("DELETE", "/api/hooks?id=1", "", "X-Api-Key", otherKey); r.Status != 404 {
		t.Errorf("other account deletes: %d %s", r.Status, r.Body)
	}
	if r := g.do("POST", "/api/waba/messages", helloWorld, "X-Api-Key", otherKey); r.Status != 403 || string(r.Body) != "902" {
		t.Errorf("hooks-only key sends: %d %s", r.Status, r.Body)
	}
	if r := g.do("DELETE", "/api/hooks?id=1", ""); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := g.do("DELETE", "/api/hooks", "id=1", "Content-Type", "application/x-www-form-urlencoded"); r.Status != 404 {
		t.Errorf("delete again: %d %s", r.Status, r.Body)
	}
}

// TestHookPrivateTargets: by default a hook may not point into the
// gateway's own network.
func TestHookPrivateTargets(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.WebhookAllowPrivate = false })
	for _, target := range []string{"http://127.0.0.1:9000/x", "http://localhost/x", "http://169.254.169.254/latest", "http://10.0.0.5/"} {
		r := g.do("POST", "/api/hooks", `{"target_url":"`+target+`","event_type":"dlr"}`)
		if r.Status != 400 || !strings.Contains(string(r.Body), "not public") {
			t.Errorf("%s: %d %s", target, r.Status, r.Body)
		}
	}
}

// TestHooksCommand: dead letters are listed and replayed from the CLI.
func TestHooksCommand(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer gone.Close()
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+gone.URL+`","event_type":"wa_status","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create: %s", r.Body)
	}
	g.waitStatus(firstID(t, g.send(helloWorld)), "read")
	dir := g.cfg.DataDir
	var out string
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		out, err = runCLI(t, dir, "hooks", "dead")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(out, "HTTP 410") == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Count(out, "HTTP 410") != 3 || !strings.Contains(out, "wa_status") {
		t.Fatalf("hooks dead:\n%s", out)
	}
	r := g.do("GET", "/api/hooks/dead", "")
	var dead struct{ Deliveries []api.DeliveryView }
	if err := json.Unmarshal(r.Body, &dead); err != nil || len(dead.Deliveries) != 3 {
		t.Fatalf("GET /api/hooks/dead: %s", r.Body)
	}
	if out, err := runCLI(t, dir, "hooks", "replay", dead.Deliveries[0].ID); err != nil || !strings.Contains(out, "will be sent again") {
		t.Fatalf("replay: %v %s", err, out)
	}
	if out, err := runCLI(t, dir, "hooks", "replay", "999"); err == nil {
		t.Fatalf("replay of an unknown delivery: %s", out)
	}
	if r := g.do("POST", "/api/hooks/dead/"+dead.Deliveries[1].ID+"/replay", ""); r.Status != 200 {
		t.Fatalf("replay over the API: %d %s", r.Status, r.Body)
	}
	if out, _ := runCLI(t, dir, "hooks", "list"); !strings.Contains(out, gone.URL) {
		t.Errorf("hooks list:\n%s", out)
	}
}

// TestListMessages: GET /api/waba/messages pages through an account's
// messages by foreign_id, label and time.
func TestListMessages(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	var ids []string
	for i, label := range []string{"a", "b", "a"} {
		body := strings.Replace(helloWorld, `"language":"de"`, `"language":"de","label":"`+label+`","foreign_id":"f`+string(rune('0'+i))+`"`, 1)
		ids = append(ids, firstID(t, g.send(body)))
	}
	list := func(query string) ([]string, any) {
		t.Helper()
		r := g.do("GET", "/api/waba/messages"+query, "")
		var page struct {
			Messages []struct{ ID string }
			Next     any
		}
		if r.Status != 200 || json.Unmarshal(r.Body, &page) != nil {
			t.Fatalf("GET %s: %d %s", query, r.Status, r.Body)
		}
		var got []string
		for _, m := range page.Messages {
			got = append(got, m.ID)
		}
		return got, page.Next
	}
	tests := []struct {
		query string
		want  []string
		next  any
	}{
		{"", []string{ids[2], ids[1], ids[0]}, nil},
		{"?label=a", []string{ids[2], ids[0]}, nil},
		{"?foreign_id=f1", []string{ids[1]}, nil},
		{"?limit=2", []string{ids[2], ids[1]}, ids[1]},
		{"?limit=2&before=" + ids[1], []string{ids[0]}, nil},
		{"?from=2000-01-01&to=2000-01-02", nil, nil},
	}
	for _, tc := range tests {
		got, next := list(tc.query)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") || next != tc.next {
			t.Errorf("%s: %v next %v, want %v next %v", tc.query, got, next, tc.want, tc.next)
		}
	}
	if r := g.do("GET", "/api/waba/messages?from=yesterday", ""); r.Status != 400 || !strings.Contains(string(r.Body), "from: must be") {
		t.Errorf("bad from: %d %s", r.Status, r.Body)
	}
}

// TestSignedWebhooks: an account with a signing secret gets its webhooks
// signed as seven signs them; the test checks the signature the way a
// customer's receiver would, written from seven's description.
func TestSignedWebhooks(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	ctx := context.Background()
	const secret = "whsec-e2e"
	if err := g.store.SetSigningSecret(ctx, 1, secret); err != nil {
		t.Fatal(err)
	}
	recv := newHookReceiver(t)
	if _, err := g.store.CreateHook(ctx, openwaba.Hook{AccountID: 1, TargetURL: recv.URL + "/mo", EventType: openwaba.HookWAMO, RequestMethod: "JSON"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.sandbox.Inbound(ctx, "4917600000077", testSender, "Hallo"); err != nil {
		t.Fatal(err)
	}
	recv.wait(t, 1)
	recv.mu.Lock()
	r := recv.reqs[0]
	recv.mu.Unlock()
	ts, nonce := r.header.Get("X-Timestamp"), r.header.Get("X-Nonce")
	sum := md5.Sum(r.body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + nonce + "\n" + r.method + "\n" + r.url + "\n" + hex.EncodeToString(sum[:])))
	if want := hex.EncodeToString(mac.Sum(nil)); r.header.Get("X-Signature") != want {
		t.Fatalf("X-Signature %q, want %q (headers %v)", r.header.Get("X-Signature"), want, r.header)
	}
	if !strings.HasPrefix(r.header.Get("X-Webhook-Id"), "owh_") {
		t.Errorf("X-Webhook-Id %q", r.header.Get("X-Webhook-Id"))
	}
}

// TestWebhookIDsNeverRepeat: docs/webhooks.md tells receivers to drop a
// delivery whose X-Webhook-Id they have seen, so no two events may share
// one, on either engine, also once the outbox was emptied in between.
func TestWebhookIDsNeverRepeat(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var opts []func(*config)
			if engine == "postgres" {
				db := pgtest.Database(t)
				opts = append(opts, func(c *config) { c.DatabaseURL = db })
			}
			g := startTestGateway(t, opts...)
			recv := newHookReceiver(t)
			if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`/all","event_type":"all","request_method":"JSON"}`); r.Status != 200 {
				t.Fatalf("create hook: %d %s", r.Status, r.Body)
			}
			// One message at a time, each one's five webhooks delivered
			// (and their outbox rows deleted) before the next is sent.
			const messages = 3
			for i := range messages {
				g.waitStatus(firstID(t, g.send(helloWorld)), "read")
				recv.wait(t, 5*(i+1))
			}
			recv.mu.Lock()
			defer recv.mu.Unlock()
			seen := map[string]int{}
			for i, req := range recv.reqs {
				id := req.header.Get("X-Webhook-Id")
				if j, ok := seen[id]; ok {
					t.Errorf("webhook %d has the X-Webhook-Id %s of webhook %d: %s / %s", i, id, j, req.body, recv.reqs[j].body)
				}
				seen[id] = i
			}
			if len(seen) != 5*messages {
				t.Errorf("%d distinct ids for %d webhooks", len(seen), len(recv.reqs))
			}
		})
	}
}
