package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// The gateway on PostgreSQL: the same paths as the SQLite tests, end to
// end through the sandbox, on a database of the test's own.

func TestPostgresEndToEnd(t *testing.T) {
	t.Parallel()
	db := pgtest.Database(t)
	g := startTestGateway(t, func(c *config) { c.DatabaseURL = db })

	// A template goes all the way to read.
	id := firstID(t, g.send(helloWorld))
	m := g.waitStatus(id, "read")
	var seen []string
	for _, s := range m.Statuses {
		seen = append(seen, s.Status)
	}
	if got := strings.Join(seen, ","); got != "queued,sent,delivered,read" {
		t.Fatalf("journal = %s", got)
	}

	// The user writes (inbound webhook into PostgreSQL), and freetext may go.
	g.openWindow(testUser)
	g.waitStatus(sentID(t, g.sendMsg(freetext(testUser))), "read")

	// A scheduled message is cancelled and refunded.
	later := time.Now().Add(time.Hour).UTC().Format(time.DateTime)
	sched := firstID(t, g.send(strings.Replace(helloWorld, `"language":"de"`, `"language":"de","delay":"`+later+`"`, 1)))
	if r := g.do("DELETE", "/api/waba/messages/"+sched, ""); r.Status != 200 {
		t.Fatalf("delete scheduled: %d %s", r.Status, r.Body)
	}
	// One template paid (0.0735); service messages in the window are free;
	// the cancelled template was refunded.
	acct, err := g.store.Account(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := openwaba.Micros(99_926_500); acct.Balance != want {
		t.Fatalf("balance %v, want %v", acct.Balance, want)
	}

	// A restart finds everything where it was: no second default account,
	// the same balance, the same message.
	g.stop()
	g2 := startWithConfig(t, g.cfg)
	if as, err := g2.store.Accounts(context.Background()); err != nil || len(as) != 1 || as[0].Balance != acct.Balance {
		t.Fatalf("after restart: accounts %+v, %v; want the one with balance %v", as, err, acct.Balance)
	}
	if r := g2.do("GET", "/api/waba/messages/"+id, ""); r.Status != 200 || r.JSON(t)["status"] != "read" {
		t.Fatalf("message after restart: %d %s", r.Status, r.Body)
	}
}

// TestPostgresNodesStartTogether: three gateways start at once on an empty
// database; bootstrap runs on one at a time, so there is one default
// account, and each node serves a message to read.
func TestPostgresNodesStartTogether(t *testing.T) {
	t.Parallel()
	db := pgtest.Database(t)
	nodes := make([]*testGateway, 3)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			cfg := testConfig(t)
			cfg.DatabaseURL = db
			log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
			g, err := startGateway(context.Background(), cfg, log, io.Discard)
			if err != nil {
				t.Errorf("node %d: %v", i, err)
				return
			}
			nodes[i] = &testGateway{gateway: g, t: t, BaseURL: "http://" + g.Addr, cfg: cfg}
			t.Cleanup(nodes[i].stop)
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if as, err := nodes[0].store.Accounts(context.Background()); err != nil || len(as) != 1 {
		t.Fatalf("accounts %+v, %v; want exactly the default one", as, err)
	}
	for _, g := range nodes {
		g.waitStatus(firstID(t, g.send(helloWorld)), "read")
	}
}

// TestPostgresAdminCommands: senders and keys honour OPENWABA_DATABASE_URL
// and change what the running gateway sees.
func TestPostgresAdminCommands(t *testing.T) {
	t.Parallel()
	db := pgtest.Database(t)
	g := startTestGateway(t, func(c *config) { c.DatabaseURL = db })
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		getenv := func(k string) string {
			switch k {
			case "OPENWABA_DATABASE_URL":
				return db
			case "OPENWABA_DATA_DIR":
				// Empty: were the URL ignored, the command would fail.
				return filepath.Join(t.TempDir(), "nothing-here")
			}
			return ""
		}
		err := run(context.Background(), args, getenv, &out, &out)
		return out.String(), err
	}

	out, err := cli("senders", "add", "4915199999999", "--phone-number-id", "123", "--waba-id", "456")
	if err != nil {
		t.Fatalf("senders add: %v %s", err, out)
	}
	if out, err := cli("senders", "list"); err != nil || !strings.Contains(out, "4915199999999") {
		t.Fatalf("senders list: %v\n%s", err, out)
	}
	out, err = cli("keys", "create", "--name", "ci")
	if err != nil {
		t.Fatalf("keys create: %v %s", err, out)
	}
	key := strings.TrimSpace(out)
	if r := g.do("POST", "/api/waba/messages", helloWorld, "X-Api-Key", key); r.Status != 200 {
		t.Fatalf("send with the new key: %d %s", r.Status, r.Body)
	}

	// Accounts, balances, prices and keys: each command writes where the
	// gateway reads.
	ctx := context.Background()
	if out, err := cli("accounts", "create", "acme", "--balance", "5"); err != nil {
		t.Fatalf("accounts create: %v %s", err, out)
	}
	if out, err := cli("balance", "topup", "--account", "2", "2.5"); err != nil {
		t.Fatalf("balance topup: %v %s", err, out)
	}
	if a, err := g.store.Account(ctx, 2); err != nil || a.Name != "acme" || a.Balance != 7_500_000 {
		t.Fatalf("account 2 = %+v, %v; want acme with 7.5", a, err)
	}
	if out, err := cli("prices", "set", "--category", "marketing", "--prefix", "49", "0.25"); err != nil {
		t.Fatalf("prices set: %v %s", err, out)
	}
	if ps, err := g.store.Prices(ctx, "EUR"); err != nil || len(ps) != 1 || ps[0].Prefix != "49" || ps[0].Amount != 250_000 {
		t.Fatalf("prices = %+v, %v; want 49/marketing at 0.25", ps, err)
	}
	keys, err := g.store.APIKeys(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ci int64
	for _, k := range keys {
		if k.Name == "ci" {
			ci = k.ID
		}
	}
	if out, err := cli("keys", "list"); err != nil || !strings.Contains(out, "ci") {
		t.Fatalf("keys list: %v\n%s", err, out)
	}
	if out, err := cli("keys", "revoke", strconv.FormatInt(ci, 10)); err != nil {
		t.Fatalf("keys revoke %d: %v %s", ci, err, out)
	}
	if r := g.do("POST", "/api/waba/messages", helloWorld, "X-Api-Key", key); r.Status != 401 && r.Status != 403 {
		t.Fatalf("send with the revoked key: %d %s", r.Status, r.Body)
	}
	for _, cmd := range [][]string{{"hooks", "list"}, {"hooks", "dead"}, {"templates", "list"}} {
		if out, err := cli(cmd...); err != nil {
			t.Fatalf("%s: %v %s", strings.Join(cmd, " "), err, out)
		}
	}
}

// TestPostgresCrashLosesNothing: SIGKILL right after the 200s; the next
// process, on the same database, sends every accepted message.
func TestPostgresCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	db := pgtest.Database(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "openwaba")
	buildBinary(t, bin)
	dataDir := filepath.Join(dir, "data") // unused by PostgreSQL, but must not matter

	p1 := startProcess(t, bin, dataDir, "OPENWABA_DATABASE_URL="+db)
	r := p1.do("POST", "/api/waba/messages", scheduledTemplate(recipientList(100), 2*time.Second))
	if r.Status != 200 {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	var ids []string
	for _, m := range r.JSON(t)["messages"].([]any) {
		ids = append(ids, m.(map[string]any)["id"].(string))
	}
	if err := p1.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p1.cmd.Wait()

	p2 := startProcess(t, bin, dataDir, "OPENWABA_DATABASE_URL="+db)
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
