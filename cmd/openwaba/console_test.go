package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// consoleClient is a browser without a browser: a cookie jar, and
// redirects reported rather than followed.
type consoleClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newConsoleClient(t *testing.T, g *testGateway) *consoleClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleClient{t: t, base: g.BaseURL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type consolePage struct {
	Status int
	Header http.Header
	Body   string
}

func (c *consoleClient) get(path string) consolePage {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	return c.page(resp, err)
}

func (c *consoleClient) post(path string, form url.Values) consolePage {
	c.t.Helper()
	resp, err := c.hc.PostForm(c.base+path, form)
	return c.page(resp, err)
}

func (c *consoleClient) page(resp *http.Response, err error) consolePage {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return consolePage{resp.StatusCode, resp.Header, string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p consolePage) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no CSRF field on the page (%d): %.300s", p.Status, p.Body)
	}
	return m[1]
}

func (c *consoleClient) signIn(key string) consolePage {
	c.t.Helper()
	form := c.get("/console/signin")
	return c.post("/console/signin", url.Values{"csrf": {form.csrf(c.t)}, "key": {key}})
}

func TestConsoleSecurityHeaders(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	c := newConsoleClient(t, g)
	for _, path := range []string{"/", "/console/signin", "/console/nothing-here"} {
		p := c.get(path)
		for h, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
		} {
			if !strings.Contains(p.Header.Get(h), want) {
				t.Errorf("%s: %s = %q, want %q", path, h, p.Header.Get(h), want)
			}
		}
		if csp := p.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	if p := c.get("/"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/console/signin" {
		t.Errorf("/ without a session: %d %s", p.Status, p.Header.Get("Location"))
	}
	if p := c.get("/console/nothing-here"); p.Status != http.StatusNotFound || !strings.Contains(p.Header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown console page: %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	// The API's routes are as they were.
	if p := c.get("/api/nothing"); p.Status != http.StatusNotFound || !strings.Contains(p.Body, `"Page not found"`) {
		t.Errorf("unknown API path: %d %s", p.Status, p.Body)
	}
	for path, ctype := range map[string]string{"/console/static/console.css": "text/css", "/console/static/console.js": "javascript"} {
		if p := c.get(path); p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, p.Status, p.Header.Get("Content-Type"))
		}
	}
}

func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	tests := []struct {
		name   string
		form   func(c *consoleClient) url.Values
		status int
		says   string
	}{
		{"wrong key", func(c *consoleClient) url.Values {
			return url.Values{"csrf": {c.get("/console/signin").csrf(t)}, "key": {"not-a-key"}}
		}, http.StatusUnauthorized, "key: this API key is wrong, revoked or expired"},
		{"no key", func(c *consoleClient) url.Values {
			return url.Values{"csrf": {c.get("/console/signin").csrf(t)}}
		}, http.StatusBadRequest, "key: enter an API key"},
		{"no token", func(c *consoleClient) url.Values {
			c.get("/console/signin")
			return url.Values{"key": {testKey}}
		}, http.StatusForbidden, "stale"},
		{"a token without its cookie", func(c *consoleClient) url.Values {
			return url.Values{"csrf": {newConsoleClient(t, g).get("/console/signin").csrf(t)}, "key": {testKey}}
		}, http.StatusForbidden, "stale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newConsoleClient(t, g)
			p := c.post("/console/signin", tc.form(c))
			if p.Status != tc.status || !strings.Contains(p.Body, tc.says) {
				t.Fatalf("%d, want %d saying %q: %.2000s", p.Status, tc.status, tc.says, p.Body)
			}
			if strings.Contains(p.Body, testKey) {
				t.Fatal("the page shows the key")
			}
			if p := c.get("/"); p.Status != http.StatusSeeOther {
				t.Fatalf("signed in anyway: %d", p.Status)
			}
		})
	}

	t.Run("the session cookie", func(t *testing.T) {
		t.Parallel()
		c := newConsoleClient(t, g)
		p := c.signIn(testKey)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
			t.Fatalf("sign-in: %d %s", p.Status, p.Header.Get("Location"))
		}
		var cookie string
		for _, v := range p.Header.Values("Set-Cookie") {
			if strings.HasPrefix(v, "openwaba_session=") {
				cookie = v
			}
		}
		for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %s", cookie, attr)
			}
		}
		if strings.Contains(cookie, "Secure") || strings.Contains(cookie, testKey) {
			t.Errorf("session cookie over plain HTTP: %q", cookie)
		}
		// Behind a proxy that terminates TLS, the cookie is Secure.
		req, _ := http.NewRequest("GET", c.base+"/console/signin", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if v := resp.Header.Get("Set-Cookie"); !strings.Contains(v, "Secure") {
			t.Errorf("cookie behind an HTTPS proxy: %q", v)
		}
		if p := c.get("/"); p.Status != http.StatusOK || !strings.Contains(p.Body, "<h1>Overview</h1>") {
			t.Fatalf("overview: %d", p.Status)
		}
	})
}

// TestConsoleForms: every form needs the session's token, refusals are
// the API's words with the API's status, and revoking the key ends the
// session at once.
func TestConsoleForms(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	c := newConsoleClient(t, g)
	c.signIn(testKey)
	later := time.Now().Add(time.Hour).Unix()
	id := firstID(t, g.send(`{"from":"4915112345678","to":"4917612345678","type":"template","template":"hello_world","language":"de","delay":`+strconv.FormatInt(later, 10)+`}`))
	msg := c.get("/console/messages/" + id)
	if msg.Status != http.StatusOK || !strings.Contains(msg.Body, "Cancel and refund") {
		t.Fatalf("message page: %d %.1000s", msg.Status, msg.Body)
	}

	for _, token := range []string{"", "forged", newConsoleClient(t, g).get("/console/signin").csrf(t)} {
		if p := c.post("/console/messages/"+id+"/cancel", url.Values{"csrf": {token}}); p.Status != http.StatusForbidden {
			t.Fatalf("cancel with token %q: %d", token, p.Status)
		}
	}
	if s := g.waitStatus(id, "scheduled"); s.Status != "scheduled" {
		t.Fatalf("a refused form changed the message: %s", s.Status)
	}
	p := c.post("/console/messages/"+id+"/cancel", url.Values{"csrf": {msg.csrf(t)}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %.500s", p.Status, p.Body)
	}
	g.waitStatus(id, "deleted")
	if p := c.post("/console/messages/"+id+"/cancel", url.Values{"csrf": {msg.csrf(t)}}); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "already") {
		t.Fatalf("cancelling twice: %d %.1000s", p.Status, p.Body)
	}

	if p := c.get("/console/messages?from=yesterday"); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "from: must be") {
		t.Fatalf("a bad filter: %d %.2000s", p.Status, p.Body)
	}
	hook := c.post("/console/webhooks", url.Values{"csrf": {msg.csrf(t)}, "target_url": {"ftp://example.com/x"}, "event_type": {"all"}})
	if hook.Status != http.StatusBadRequest || !strings.Contains(hook.Body, "target_url") || !strings.Contains(hook.Body, `value="ftp://example.com/x"`) {
		t.Fatalf("a bad hook: %d %.3000s", hook.Status, hook.Body)
	}
	if p := c.get("/console/admin"); p.Status != http.StatusForbidden || !strings.Contains(p.Body, "admin scope") {
		t.Fatalf("admin page with a waba key: %d", p.Status)
	}

	// The README's tour from the composer: a scheduled template, then the
	// user writes (sandbox), the read event, a text.
	conv := "/console/conversations/" + testSender + "/" + testUser
	sched := c.post(conv+"/send", url.Values{"csrf": {msg.csrf(t)}, "kind": {"template"}, "template": {"hello_world:en"}, "delay": {strconv.FormatInt(later, 10)}})
	if sched.Status != http.StatusSeeOther {
		t.Fatalf("a scheduled template: %d %.2000s", sched.Status, sched.Body)
	}
	list := c.get("/console/messages")
	if n := strings.Count(list.Body, `badge s-scheduled`); n != 1 {
		t.Fatalf("%d scheduled messages listed, want 1", n)
	}
	if p := c.post(conv+"/send", url.Values{"csrf": {msg.csrf(t)}, "kind": {"text"}, "text": {"Hi"}}); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Not in conversation") {
		t.Fatalf("a text outside the window: %d", p.Status)
	}
	if p := c.post(conv+"/inbound", url.Values{"csrf": {msg.csrf(t)}, "text": {"Hallo"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("the sandbox's user writes: %d %.1000s", p.Status, p.Body)
	}
	if p := c.post("/console/events", url.Values{"csrf": {msg.csrf(t)}, "event": {"read"}, "from": {testSender}, "to": {testUser}}); p.Status != http.StatusSeeOther {
		t.Fatalf("read event: %d %.1000s", p.Status, p.Body)
	}
	if p := c.post(conv+"/send", url.Values{"csrf": {msg.csrf(t)}, "kind": {"text"}, "text": {"Hi"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("a text inside the window: %d %.1000s", p.Status, p.Body)
	}

	if _, err := g.store.RevokeAPIKey(context.Background(), 1, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if p := c.get("/console/messages"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/console/signin" {
		t.Fatalf("after the key was revoked: %d %s", p.Status, p.Header.Get("Location"))
	}
}
