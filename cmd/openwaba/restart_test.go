package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// recipients returns n distinct possible German mobile numbers.
func recipientList(n int) string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("491761%07d", i))
	}
	return strings.Join(out, ",")
}

func scheduledTemplate(to string, in time.Duration) string {
	return `{"from":"4915112345678","to":"` + to + `","type":"template","template":"hello_world","language":"en","delay":` +
		strconv.FormatInt(time.Now().Add(in).Unix(), 10) + `}`
}

// TestRestartSendsWhatWasAccepted stops the gateway (gracefully) while
// messages wait in the queue; the next start sends them.
func TestRestartSendsWhatWasAccepted(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	resp := g.send(scheduledTemplate(recipientList(20), 2*time.Second))
	var ids []string
	for _, m := range resp["messages"].([]any) {
		ids = append(ids, m.(map[string]any)["id"].(string))
	}
	g.stop()

	g2 := startWithConfig(t, g.cfg)
	for _, id := range ids {
		g2.waitStatus(id, "read")
	}
}

// TestCrashLosesNothing kills the gateway process with SIGKILL right after
// it answered 200, and shows that every accepted message is sent after the
// next start: a 200 means the message was durably committed. It then
// stops the second process with SIGTERM, which must exit cleanly.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "openwaba")
	buildBinary(t, bin)
	dataDir := filepath.Join(dir, "data")

	p1 := startProcess(t, bin, dataDir)
	var ids []string
	for i := range 10 {
		to := recipientList(50)
		to = strings.ReplaceAll(to, "491761", fmt.Sprintf("49176%d", i))
		r := p1.do("POST", "/api/waba/messages", scheduledTemplate(to, 3*time.Second))
		if r.Status != 200 {
			t.Fatalf("send: %d %s", r.Status, r.Body)
		}
		for _, m := range r.JSON(t)["messages"].([]any) {
			ids = append(ids, m.(map[string]any)["id"].(string))
		}
	}
	if err := p1.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p1.cmd.Wait()

	p2 := startProcess(t, bin, dataDir)
	for _, id := range ids {
		p2.waitStatus(id, "read")
	}
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
}

func buildBinary(t testing.TB, bin string) {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

type process struct {
	*testGateway
	cmd *exec.Cmd
}

// startProcess runs the binary on dataDir; env adds to (and overrides) the
// environment.
func startProcess(t testing.TB, bin, dataDir string, env ...string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "OPENWABA_ADDR="+addr, "OPENWABA_DATA_DIR="+dataDir, "OPENWABA_API_KEY="+testKey,
		"OPENWABA_LOG_LEVEL=warn", "OPENWABA_SANDBOX_STATUS_DELAY=5ms", "OPENWABA_DRAIN_GRACE=50ms")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = testWriter{t}, testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	p := &process{testGateway: &testGateway{t: t, BaseURL: "http://" + addr}, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.BaseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway at %s did not become ready", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRestartWithStatusesOwed stops the gateway while the sandbox still
// owes the status webhooks of messages it took, and after users wrote
// messages not marked read yet. After the restart every message reaches
// read, and read receipts and typing indicators for the users' messages
// of before the restart are taken.
func TestRestartWithStatusesOwed(t *testing.T) {
	t.Parallel()
	// Statuses a second apart: the gateway stops long before they are in.
	g := startTestGateway(t, func(c *config) { c.SandboxStatusDelay = time.Second })
	ctx := context.Background()
	users := []string{"4917655500001", "4917655500002"}
	var inbound []string
	for _, u := range users {
		wamid, err := g.client().SandboxInbound(ctx, u, testSender, "Hallo")
		if err != nil {
			t.Fatalf("sandbox inbound: %v", err)
		}
		inbound = append(inbound, wamid)
	}
	resp := g.send(`{"from":"` + testSender + `","to":"` + recipientList(30) + `","type":"template","template":"hello_world","language":"en"}`)
	var ids []int64
	for _, m := range resp["messages"].([]any) {
		id, err := strconv.ParseInt(m.(map[string]any)["id"].(string), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Wait until the sandbox took every message: each has its wamid, and
	// its statuses are owed.
	account := defaultAccount(t, g)
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range ids {
		for {
			m, err := g.store.Message(ctx, account, id)
			if err != nil {
				t.Fatal(err)
			}
			if m.WAMID != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("message %d was not dispatched: %+v", id, m)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	g.stop()

	g2 := startWithConfig(t, g.cfg)
	for _, id := range ids {
		g2.waitStatus(strconv.FormatInt(id, 10), "read")
	}
	for i, wamid := range inbound {
		for _, event := range []string{"read", "is_typing"} {
			r := g2.do("POST", "/api/waba/events", `{"from":"`+testSender+`","to":"`+users[i]+`","event":"`+event+`","msg_id":"`+wamid+`"}`)
			if r.Status != 200 || !strings.Contains(string(r.Body), `"success":true`) {
				t.Errorf("%s for %s, received before the restart: %d %s", event, wamid, r.Status, r.Body)
			}
		}
	}
}
