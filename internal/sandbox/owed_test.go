package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openEnv is newEnv for a sandbox opened on stateFile (Open), with a
// receiver of its own: a test restarts the sandbox by opening another
// env on the same file.
func openEnv(t *testing.T, stateFile string, cfg Config) *env {
	t.Helper()
	rcv := newReceiver(t)
	cfg.AccessToken, cfg.AppSecret = testToken, testSecret
	cfg.WebhookURL = rcv.srv.URL + "/webhooks/meta"
	cfg.StatusDelay = 5 * time.Millisecond
	sb, err := open(cfg, stateFile, func(sb *Sandbox) { sb.backoffStart = 10 * time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	sb.AddNumber(testPhoneID, testWABA, testDisplay)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	return &env{sb: sb, srv: srv, rcv: rcv}
}

// refusing has the receiver answer 500 to every webhook from now on.
func (r *receiver) refusing() {
	r.failNext(slicesRepeat(http.StatusInternalServerError, 10000)...)
}

// waitTaken waits until the sandbox's ledger notes n of the total
// webhooks of wamid as taken (all of them: the job is dropped).
func waitTaken(t *testing.T, sb *Sandbox, wamid string, n, total int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sb.owed.mu.Lock()
		j, ok := sb.owed.jobs[wamid]
		sb.owed.mu.Unlock()
		if (n == total && !ok) || (ok && j.Taken == n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger of %s: %+v (kept %v), want %d of %d taken", wamid, j, ok, n, total)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func slicesRepeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestOpenResumesOwedWebhooks: a sandbox closed (a gateway restart)
// before its webhooks were all taken leaves them in the state file, and
// the next sandbox on the file sends the ones not taken, in order.
func TestOpenResumesOwedWebhooks(t *testing.T) {
	t.Parallel()
	template := `{"messaging_product":"whatsapp","to":"` + testUser + `","type":"template",
		"template":{"name":"hello_world","language":{"code":"en"}},"biz_opaque_callback_data":"f-1"}`
	tests := []struct {
		name      string
		body      string
		takenOf   []string // webhooks the first sandbox's receiver takes
		resumed   []string // what the second one sends
		errorCode int
	}{
		{"none taken", template, nil, []string{"sent", "delivered", "read"}, 0},
		{"sent taken", template, []string{"sent"}, []string{"delivered", "read"}, 0},
		{"sent and delivered taken", template, []string{"sent", "delivered"}, []string{"read"}, 0},
		{"all taken", template, []string{"sent", "delivered", "read"}, nil, 0},
		{"failure outside the window", textBody("hello?"), nil, []string{"failed"}, 131047},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := filepath.Join(t.TempDir(), "owed.json")
			first := openEnv(t, state, Config{})
			// Take as many webhooks as the case says, refuse the rest.
			first.rcv.failNext(append(slicesRepeat(http.StatusOK, len(tc.takenOf)), slicesRepeat(http.StatusInternalServerError, 10000)...)...)
			r := first.send(t, tc.body)
			if r.Status != http.StatusOK {
				t.Fatalf("send: %d %v", r.Status, r.Body)
			}
			for _, want := range tc.takenOf {
				if ev := first.rcv.next(t); ev.WAMID != r.WAMID || ev.Status != want {
					t.Fatalf("first sandbox: %s %s, want %s", ev.WAMID, ev.Status, want)
				}
			}
			// The receiver has the webhook before the sandbox has its 200:
			// wait for the sandbox to note it, or it is (rightly) sent again.
			waitTaken(t, first.sb, r.WAMID, len(tc.takenOf), len(tc.takenOf)+len(tc.resumed))
			first.sb.Close()

			second := openEnv(t, state, Config{})
			for _, want := range tc.resumed {
				ev := second.rcv.next(t)
				if ev.WAMID != r.WAMID || ev.Status != want || ev.ErrorCode != tc.errorCode {
					t.Fatalf("after the restart: %s %s %d, want %s %s %d", ev.WAMID, ev.Status, ev.ErrorCode, r.WAMID, want, tc.errorCode)
				}
				if ev.Callback != "" && ev.Callback != "f-1" {
					t.Errorf("biz_opaque_callback_data = %q", ev.Callback)
				}
			}
			second.rcv.quiet(t, 100*time.Millisecond)
			second.sb.Close()
			if b, err := os.ReadFile(state); err != nil || strings.Contains(string(b), r.WAMID) {
				t.Errorf("state file after every webhook was taken: %s %v", b, err)
			}
		})
	}
}

// TestOwedSavedBeforeTheAnswer: a wamid the client holds is in the state
// file already, so that a crash right after the answer loses nothing.
func TestOwedSavedBeforeTheAnswer(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "owed.json")
	e := openEnv(t, state, Config{})
	e.rcv.refusing()
	r := e.send(t, textBody("x"))
	b, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(b), r.WAMID) {
		t.Fatalf("state file right after the answer lacks %s: %s %v", r.WAMID, b, err)
	}
}

// TestSendRefusedWhenOwedCannotBeSaved: a send whose webhooks cannot be
// saved is refused with a retryable error rather than answered with a
// wamid whose statuses might never come.
func TestSendRefusedWhenOwedCannotBeSaved(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	e := openEnv(t, filepath.Join(dir, "owed.json"), Config{})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	r := e.send(t, textBody("x"))
	if r.Status != http.StatusInternalServerError || r.Code != 131016 || r.WAMID != "" {
		t.Fatalf("send: %d code %d %v, want 500 with 131016", r.Status, r.Code, r.Body)
	}
	e.rcv.quiet(t, 50*time.Millisecond)
}

func TestOpenRefusesABadStateFile(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, content string }{
		{"not JSON", "{"},
		{"unknown version", `{"version":99,"owed":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			state := filepath.Join(t.TempDir(), "owed.json")
			if err := os.WriteFile(state, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if sb, err := Open(Config{}, state); err == nil {
				sb.Close()
				t.Fatal("Open took a state file it cannot read")
			}
		})
	}
}

// TestMarkReadOfForgottenInbound: a read receipt (or typing indicator)
// for a message the sandbox did not see, such as one received before a
// restart, is taken when InboundSource knows it for that number.
func TestMarkReadOfForgottenInbound(t *testing.T) {
	t.Parallel()
	const known = "wamid.before-the-restart"
	source := func(_ context.Context, phoneNumberID, wamid string) bool {
		return phoneNumberID == testPhoneID && wamid == known
	}
	read := func(wamid string, typing bool) string {
		body := `{"messaging_product":"whatsapp","status":"read","message_id":"` + wamid + `"`
		if typing {
			body += `,"typing_indicator":{"type":"text"}`
		}
		return body + "}"
	}
	tests := []struct {
		name   string
		source func(context.Context, string, string) bool
		wamid  string
		typing bool
		want   int
	}{
		{"known to the source", source, known, false, http.StatusOK},
		{"known to the source, typing", source, known, true, http.StatusOK},
		{"unknown to the source", source, "wamid.never", false, http.StatusBadRequest},
		{"no source", nil, known, false, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := openEnv(t, filepath.Join(t.TempDir(), "owed.json"), Config{InboundSource: tc.source})
			r := e.send(t, read(tc.wamid, tc.typing))
			if r.Status != tc.want {
				t.Fatalf("mark read: %d %v, want %d", r.Status, r.Body, tc.want)
			}
			if tc.want != http.StatusOK && r.Code != 100 {
				t.Errorf("code %d, want 100", r.Code)
			}
		})
	}
}
