package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// The console's tests drive Debian's Chromium (headless) against a real
// gateway with its sandbox: what a user clicks is what is tested, with the
// console's CSP, cookies and script in force.

const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds one browser test; it is generous because the
// machine may be loaded (it is no timing assertion).
const browserTimeout = 5 * time.Minute

// stepTimeout bounds one step (a few actions, or a wait for the page).
const stepTimeout = time.Minute

// browser starts a fresh headless Chromium for t, or skips t without one
// (and fails it with CI set: CI installs chromium).
func browser(t *testing.T) (context.Context, *browserEvents) {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but there is no chromium (%s): .ci/run installs it", chromiumPath)
		} else {
			t.Skip("no chromium: apt-get install chromium to run the console's browser tests")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	ev := &browserEvents{}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			ev.dialogs.Add(1)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	if err := chromedp.Listen(ctx, func(e any) {
		if _, ok := e.(*runtime.EventExceptionThrown); ok {
			ev.exceptions.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}
	// Bound the test, not the browser's first run (which would stop it).
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(cancel)
	return ctx, ev
}

// browserEvents counts what must not happen on a page: a dialog (alert)
// and an uncaught exception.
type browserEvents struct{ dialogs, exceptions atomic.Int32 }

// screenshots is where the test run saves its pictures of the pages:
// $OPENWABA_CONSOLE_SCREENSHOTS (docs/console holds the committed ones),
// or the test's temporary directory.
func screenshots(t *testing.T) string {
	if d := os.Getenv("OPENWABA_CONSOLE_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// inBrowser runs steps, failing t on the first error.
func inBrowser(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs one action that answers a value.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// signIn signs in through the form and waits for the overview.
func signIn(t *testing.T, ctx context.Context, base, key string) {
	t.Helper()
	inBrowser(t, ctx, "sign in",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("key")),
		// By keyboard: the field has the focus, Enter submits.
		chromedp.SendKeys(chromedp.ID("key"), key+"\r"),
		chromedp.WaitVisible(chromedp.ID("tiles")),
	)
	if h1 := read(t, ctx, "title", chromedp.Text(chromedp.CSS("h1"))); h1 != "Overview" {
		t.Fatalf("after sign-in the page is %q, want Overview", h1)
	}
}

func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	inBrowser(t, ctx, "sign out", chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.ID("key")))
}

// waitNotice waits for the notice a form's success leaves on the page.
func waitNotice(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitJS(t, ctx, "the notice "+want, `document.querySelector('p.notice')?.textContent.includes(`+jsString(want)+`) === true`)
}

// waitJS polls a JavaScript condition on the page until it is true. An
// evaluation that fails because the page is navigating is tried again.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			t.Fatalf("waiting for %s (last error %v)\npage: %.2000s", what, err, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConsoleInBrowser walks the console as an operator would, in one
// browser, each step on what the one before left: sign in, send a
// template from the composer and watch it reach read without reloading,
// see the user's answer arrive, see what users wrote shown as text, create
// a hook, see a dead letter and replay it, and sign out.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	ctx, ev := browser(t)
	g := startTestGateway(t)
	shots := screenshots(t)
	conv := g.BaseURL + "/console/conversations/" + testSender + "/" + testUser

	signIn(t, ctx, g.BaseURL, testKey)

	t.Run("a template from the composer reaches read live", func(t *testing.T) {
		inBrowser(t, ctx, "composer",
			chromedp.Navigate(conv),
			chromedp.WaitVisible(chromedp.ID("tpl-choice")),
			chromedp.SetValue(chromedp.ID("tpl-choice"), "order_confirmation:de"),
			// SetValue fires change, and the script submits the choice
			// (without the script, a button does).
			chromedp.WaitVisible(chromedp.ID("template-form")),
			chromedp.SendKeys(chromedp.ID("ph-b0"), "Max Mustermann"),
			chromedp.SendKeys(chromedp.ID("ph-b1"), "ORD-12345"),
			chromedp.SendKeys(chromedp.ID("ph-u0"), "ORD-12345"),
			chromedp.Submit(chromedp.ID("template-form")),
			chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
			// A mark that a reload would lose: the status must change in
			// place.
			chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true; undefined`),
		)
		waitJS(t, ctx, "the sent template in the thread", `[...document.querySelectorAll('#thread .bubble.out .body')].some(e => e.textContent.includes('Max Mustermann') && e.textContent.includes('ORD-12345'))`)
		waitJS(t, ctx, "status read without a reload", `window.__sameDocument === true && document.querySelector('#thread .bubble.out:last-of-type [data-status]')?.textContent === 'read'`)
		shoot(t, ctx, shots, "composer")
	})

	t.Run("the user's message appears in the conversation", func(t *testing.T) {
		if _, err := g.client().SandboxInbound(context.Background(), testUser, testSender, "Danke, wann kommt es an?"); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, "the inbound message", `window.__sameDocument === true && [...document.querySelectorAll('#thread .bubble.in .body')].some(e => e.textContent === 'Danke, wann kommt es an?')`)
		waitJS(t, ctx, "the window open", `document.getElementById('window').textContent.includes('window open')`)
		// Inside the window the composer sends a text.
		inBrowser(t, ctx, "answer with a text",
			chromedp.SendKeys(chromedp.ID("txt"), "Morgen zwischen 9 und 12 Uhr."),
			chromedp.Submit(chromedp.ID("txt")),
		)
		waitNotice(t, ctx, "accepted")
		waitJS(t, ctx, "the text in the thread", `[...document.querySelectorAll('#thread .bubble.out .body')].some(e => e.textContent === 'Morgen zwischen 9 und 12 Uhr.')`)
		shoot(t, ctx, shots, "conversation")
	})

	t.Run("what users write is shown as text and never runs", func(t *testing.T) {
		payloads := []string{`<script>window.__xss = 1; alert(1)</script>`, `"><img src=x onerror="window.__xss = 2; alert(2)">`}
		for _, p := range payloads {
			if _, err := g.client().SandboxInbound(context.Background(), testUser, testSender, p); err != nil {
				t.Fatal(err)
			}
		}
		inBrowser(t, ctx, "reload", chromedp.Navigate(conv), chromedp.WaitVisible(chromedp.ID("thread")))
		for _, p := range payloads {
			waitJS(t, ctx, "the payload as text", `[...document.querySelectorAll('#thread .bubble.in .body')].some(e => e.textContent === `+jsString(p)+`)`)
		}
		injected := read(t, ctx, "look for injected nodes", chromedp.Evaluate[bool](`window.__xss !== undefined || document.querySelector('#thread img, #thread script') !== null`))
		if injected {
			t.Fatal("the inbound text became markup")
		}
		if n := ev.dialogs.Load(); n != 0 {
			t.Fatalf("%d dialogs opened: a script ran", n)
		}
	})

	t.Run("a dead letter is replayed and delivered", func(t *testing.T) {
		var gone atomic.Bool
		gone.Store(true)
		var delivered atomic.Int32
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if gone.Load() {
				w.WriteHeader(http.StatusGone) // given up on at once
				return
			}
			delivered.Add(1)
		}))
		defer recv.Close()
		inBrowser(t, ctx, "create a hook",
			chromedp.Navigate(g.BaseURL+"/console/webhooks"),
			chromedp.WaitVisible(chromedp.ID("h-url")),
			chromedp.SendKeys(chromedp.ID("h-url"), recv.URL+"/hook"),
			chromedp.SetValue(chromedp.ID("h-event"), "wa_mo"),
			chromedp.Submit(chromedp.ID("h-url")),
		)
		waitNotice(t, ctx, "webhook was created")
		if _, err := g.client().SandboxInbound(context.Background(), testUser, testSender, "Is anyone there?"); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, "the dead letter, live", `[...document.querySelectorAll('#dead button')].some(b => b.textContent === 'Replay')`)
		shoot(t, ctx, shots, "webhooks")
		gone.Store(false)
		inBrowser(t, ctx, "replay", chromedp.Click(chromedp.CSS(`#dead button`)))
		waitNotice(t, ctx, "queued again")
		waitJS(t, ctx, "the dead letters empty", `document.getElementById('dead').textContent.includes('No dead letters')`)
		deadline := time.Now().Add(time.Minute)
		for delivered.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if delivered.Load() == 0 {
			t.Fatal("the replayed delivery never reached the receiver")
		}
	})

	t.Run("pages", func(t *testing.T) {
		for _, p := range []struct{ path, name, want string }{
			{"/", "overview", "Queue"},
			{"/console/messages", "messages", "order_confirmation"},
			{"/console/messages/1", "message", "Status timeline"},
			{"/console/templates", "templates", "appointment_reminder"},
			{"/console/conversations", "conversations", testUser},
		} {
			inBrowser(t, ctx, p.path, chromedp.Navigate(g.BaseURL+p.path), chromedp.WaitVisible(chromedp.CSS(`main`)))
			text := read(t, ctx, p.path, chromedp.Text(chromedp.CSS(`main`)))
			if p.name == "messages" {
				// The list shows types, not template names.
				text = read(t, ctx, "message list", chromedp.Text(chromedp.ID("message-list")))
				if !strings.Contains(text, "template") {
					t.Errorf("%s: no template message listed: %.500s", p.path, text)
				}
			} else if !strings.Contains(text, p.want) {
				t.Errorf("%s: %q not on the page: %.500s", p.path, p.want, text)
			}
			// Every control has a label (or an aria-label).
			unlabelled := read(t, ctx, "labels", chromedp.Evaluate[[]string](`[...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')].filter(e => e.labels?.length === 0 && !e.getAttribute('aria-label') && !(e.tagName === 'BUTTON' && e.textContent.trim())).map(e => e.outerHTML)`))
			if len(unlabelled) > 0 {
				t.Errorf("%s: controls without a label: %v", p.path, unlabelled)
			}
			shoot(t, ctx, shots, p.name)
		}
		inBrowser(t, ctx, "sync now", chromedp.Navigate(g.BaseURL+"/console/templates"), chromedp.Click(chromedp.CSS(`form[action="/console/templates/sync"] button`)))
		waitNotice(t, ctx, "Templates fetched")
		if n := ev.exceptions.Load(); n != 0 {
			t.Errorf("%d script exceptions on the pages", n)
		}
	})

	t.Run("light and dark", func(t *testing.T) {
		colour := func(scheme string) string {
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
				t.Fatal(err)
			}
			inBrowser(t, ctx, "overview", chromedp.Navigate(g.BaseURL+"/"), chromedp.WaitVisible(chromedp.ID("tiles")))
			return read(t, ctx, "background", chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
		}
		light, dark := colour("light"), colour("dark")
		shoot(t, ctx, shots, "overview-dark")
		if light == dark {
			t.Fatalf("the same background in light and dark: %s", light)
		}
		colour("light")
	})

	t.Run("phone width", func(t *testing.T) {
		inBrowser(t, ctx, "a phone's viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		for _, path := range []string{"/", "/console/messages", "/console/conversations/" + testSender + "/" + testUser, "/console/webhooks"} {
			inBrowser(t, ctx, path, chromedp.Navigate(g.BaseURL+path), chromedp.WaitVisible(chromedp.CSS("main")))
			// Wide tables scroll in their own box; the page does not.
			if wide := read(t, ctx, "page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); wide {
				t.Errorf("%s is wider than a phone", path)
			}
			if path == "/console/conversations/"+testSender+"/"+testUser {
				shoot(t, ctx, shots, "conversation-phone")
			}
		}
		inBrowser(t, ctx, "back to a desktop", chromedp.ResetViewport())
	})
	signOut(t, ctx)
}

// TestConsoleScopesInBrowser: the default key (waba, hooks, analytics)
// sees no admin page, not in the menu and not by its address; an admin
// key sees accounts, creates a key that is shown once, revokes it and
// tops up.
func TestConsoleScopesInBrowser(t *testing.T) {
	t.Parallel()
	ctx, _ := browser(t)
	g := startTestGateway(t)
	shots := screenshots(t)

	signIn(t, ctx, g.BaseURL, testKey)
	adminLinks := read(t, ctx, "admin links", chromedp.Evaluate[int](`document.querySelectorAll('nav a[href="/console/admin"]').length`))
	inBrowser(t, ctx, "admin page as a waba key", chromedp.Navigate(g.BaseURL+"/console/admin"))
	text := read(t, ctx, "admin page", chromedp.Text(chromedp.CSS(`main`)))
	if adminLinks != 0 || !strings.Contains(text, "admin scope") {
		t.Fatalf("a waba key: %d admin links, admin page says %q", adminLinks, text)
	}
	signOut(t, ctx)

	const adminKey = "console-admin-key-0123456789"
	if _, err := g.store.CreateAPIKey(context.Background(), openwaba.APIKey{AccountID: 1, Name: "operator", Hash: api.HashKey(adminKey),
		Scopes: []openwaba.Scope{openwaba.ScopeAdmin, openwaba.ScopeWABA, openwaba.ScopeHooks, openwaba.ScopeAnalytics}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, g.BaseURL, adminKey)
	inBrowser(t, ctx, "admin", chromedp.Click(chromedp.CSS(`nav a[href="/console/admin"]`)), chromedp.WaitVisible(chromedp.ID("accounts")))
	shoot(t, ctx, shots, "admin")
	inBrowser(t, ctx, "create a key",
		chromedp.Click(chromedp.CSS(`#accounts a`)),
		chromedp.WaitVisible(chromedp.ID("k-name")),
		chromedp.SendKeys(chromedp.ID("k-name"), "shop"),
		chromedp.Submit(chromedp.ID("k-name")),
		chromedp.WaitVisible(chromedp.ID("new-key-secret")),
	)
	secret := read(t, ctx, "new key", chromedp.Value(chromedp.ID("new-key-secret")))
	if !strings.HasPrefix(secret, "owk_") {
		t.Fatalf("the new key shown is %q", secret)
	}
	if r := g.do("GET", "/api/balance", "", "X-Api-Key", secret); r.Status != 200 {
		t.Fatalf("the key the console showed does not work: %d %s", r.Status, r.Body)
	}
	shoot(t, ctx, shots, "account")
	// Open the account again (a reload would send the form again: the
	// answer to a POST is the only page with the key).
	inBrowser(t, ctx, "the account again", chromedp.Navigate(g.BaseURL+"/console/admin/accounts/1"), chromedp.WaitVisible(chromedp.ID("keys")))
	text = read(t, ctx, "account page", chromedp.Text(chromedp.CSS(`main`)))
	if strings.Contains(text, secret) {
		t.Fatal("the key's secret is shown again")
	}
	inBrowser(t, ctx, "revoke it", chromedp.Click(chromedp.CSS(`#keys tr:last-child button`)))
	waitNotice(t, ctx, "revoked")
	if r := g.do("GET", "/api/balance", "", "X-Api-Key", secret); r.Status != 401 {
		keys, _ := g.store.APIKeys(context.Background(), 1)
		for _, k := range keys {
			t.Logf("key %d %s revoked %v", k.ID, k.Name, k.RevokedAt)
		}
		t.Fatalf("the revoked key still works: %d", r.Status)
	}
	inBrowser(t, ctx, "a refused top-up",
		chromedp.SendKeys(chromedp.ID("t-amount"), "1e3"),
		chromedp.Submit(chromedp.ID("t-amount")),
		chromedp.WaitVisible(chromedp.CSS(`.problem`)),
	)
	text = read(t, ctx, "refusal", chromedp.Text(chromedp.CSS(`.problem`)))
	if !strings.Contains(text, "amount") {
		t.Fatalf("the API's refusal does not name the field: %q", text)
	}
	inBrowser(t, ctx, "top up",
		chromedp.SetValue(chromedp.ID("t-amount"), "25"),
		chromedp.Submit(chromedp.ID("t-amount")),
	)
	waitNotice(t, ctx, "balance was booked")
	balance := read(t, ctx, "balance", chromedp.Text(chromedp.ID("account-balance")))
	if !strings.HasPrefix(balance, "125") {
		t.Fatalf("balance after a top-up of 25: %q", balance)
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", `\$`)
	return "`" + r.Replace(s) + "`"
}
