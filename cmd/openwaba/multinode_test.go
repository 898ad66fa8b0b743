package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// TestThreeNodesOneKilled: three gateway processes share one PostgreSQL
// and one Graph API (a sandbox in this process, so that every send of
// every node is seen in one place). 10,000 messages from four senders go
// out while one node is SIGKILLed midway. Every message is sent, none
// twice except the few that the killed node had in flight (WhatsApp has
// no idempotency key: a send whose answer died with the node is sent
// again after its lease); each sender's pace holds across the nodes; and
// every message's DELIVERED status report reaches the customer's webhook.
func TestThreeNodesOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three gateway processes and 10,000 messages")
	}
	t.Parallel()
	const (
		total   = 10000
		mps     = 200 // per sender
		workers = 32  // a node's sends in flight (OPENWABA_DISPATCH_MAX_IN_FLIGHT below)
	)
	c := startCluster(t, 3, []string{"4915100000101", "4915100000102", "4915100000103", "4915100000104"}, mps, total)

	// The customer's webhook: which messages were reported DELIVERED.
	var dmu sync.Mutex
	delivered := map[string]bool{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct {
			Data struct {
				MsgID  string `json:"msg_id"`
				Status string
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&env); err == nil && env.Data.Status == "DELIVERED" {
			dmu.Lock()
			delivered[env.Data.MsgID] = true
			dmu.Unlock()
		}
	}))
	defer recv.Close()
	if r := c.nodes[1].do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"dlr","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %d %s", r.Status, r.Body)
	}

	if ids := c.send(total); len(ids) != total {
		t.Fatalf("%d messages accepted, want %d", len(ids), total)
	}

	// Kill node 2 once a third has gone out.
	waitUntil(t, 2*time.Minute, "a third of the messages sent", func() bool { return len(c.accepted()) >= total/3 })
	killedAt := time.Now()
	if err := c.nodes[2].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.nodes[2].cmd.Wait()

	waitUntil(t, 5*time.Minute, "every message sent", func() bool { return len(distinctRecipients(c.accepted())) == total })
	waitUntil(t, 8*time.Minute, "every DELIVERED report at the customer", func() bool {
		dmu.Lock()
		defer dmu.Unlock()
		return len(delivered) == total
	}, func() string {
		dmu.Lock()
		defer dmu.Unlock()
		q := c.nodes[0].do("GET", "/api/waba/queue", "")
		return fmt.Sprintf("%d of %d DELIVERED at the customer; queue: %s", len(delivered), total, q.Body)
	})

	// Exactly once, but for what the killed node had in flight.
	sent := c.accepted()
	first := map[string]time.Time{}
	var dups []string
	for _, s := range sent {
		to := recipientOf(t, s.Body)
		if at, seen := first[to]; seen {
			dups = append(dups, to)
			if at.After(killedAt.Add(time.Second)) {
				t.Errorf("recipient %s got a second message, the first at %v, after the kill at %v", to, at, killedAt)
			}
			continue
		}
		first[to] = s.At
	}
	if len(dups) > workers {
		t.Errorf("%d messages sent twice, more than the %d the killed node could have had in flight", len(dups), workers)
	}
	t.Logf("%d sends for %d messages; %d sent twice (in flight in the killed node)", len(sent), total, len(dups))

	// Each sender's pace held across the nodes: in no two seconds more
	// than twice its rate plus the pacer's burst (a tenth) and twice that
	// for the jitter between a token and the request's arrival.
	// (Two seconds, so that jitter weighs less; without the sender
	// leases the nodes pace a sender side by side and go far over.)
	bySender := map[string][]time.Time{}
	for _, s := range sent {
		bySender[s.PhoneNumberID] = append(bySender[s.PhoneNumberID], s.At)
	}
	const window = 2 * time.Second
	limit := 2*mps + mps/10 + mps/5
	for pn, ats := range bySender {
		slices.SortFunc(ats, func(a, b time.Time) int { return a.Compare(b) })
		busiest, j := 0, 0
		for i := range ats {
			for ats[i].Sub(ats[j]) >= window {
				j++
			}
			busiest = max(busiest, i-j+1)
		}
		t.Logf("sender %s: at most %d sends in %v", pn, busiest, window)
		if busiest > limit {
			t.Errorf("sender %s: %d sends in %v, over its pace of %d/s (and burst)", pn, busiest, window, mps)
		}
	}
}

// BenchmarkDispatchNodes measures how fast one and three gateway nodes on
// one PostgreSQL hand 10,000 messages to the Graph API (the sandbox in
// this process), from the first accept to the last send: ten senders at
// 1,000 messages/s each, so that pacing is not what limits.
func BenchmarkDispatchNodes(b *testing.B) {
	const total = 10000
	var senders []string
	for i := range 10 {
		senders = append(senders, fmt.Sprintf("49151000002%02d", i))
	}
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for range b.N {
				c := startCluster(b, n, senders, 1000, total)
				start := time.Now()
				c.send(total)
				waitUntil(b, 10*time.Minute, "every message sent", func() bool { return len(distinctRecipients(c.accepted())) == total })
				b.ReportMetric(total/time.Since(start).Seconds(), "msgs/s")
			}
		})
	}
}

// cluster is n gateway processes on one fresh PostgreSQL database, in
// Meta mode against one sandbox Graph API in this process, so that every
// send of every node is seen in one place.
type cluster struct {
	t       testing.TB
	sb      *sandbox.Sandbox
	nodes   []*process
	senders []string
}

func startCluster(t testing.TB, n int, senders []string, mps, total int) *cluster {
	t.Helper()
	db := pgtest.Database(t)
	dir := t.TempDir()
	bin := dir + "/openwaba"
	buildBinary(t, bin)

	// Meta's webhooks go to node 0, which stays alive; a forwarder lets
	// the sandbox start before node 0's address is known.
	var node0 atomic.Value
	forward := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(r.Method, node0.Load().(string)+"/webhooks/meta", bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	}))
	t.Cleanup(forward.Close)
	const token, secret = "multi-node-token", "multi-node-secret"
	sb := sandbox.New(sandbox.Config{AccessToken: token, AppSecret: secret, WebhookURL: forward.URL, StatusDelay: 10 * time.Millisecond, KeepSent: 4 * total})
	for i, s := range senders {
		sb.AddNumber(fmt.Sprintf("1000000000001%02d", i), "200000000000009", s)
	}
	graph := httptest.NewServer(sb)
	t.Cleanup(graph.Close)
	t.Cleanup(sb.Close)

	env := []string{
		"OPENWABA_DATABASE_URL=" + db, "OPENWABA_META_ACCESS_TOKEN=" + token, "OPENWABA_META_APP_SECRET=" + secret,
		"OPENWABA_META_GRAPH_URL=" + graph.URL, "OPENWABA_DISPATCH_LEASE=5s", "OPENWABA_SENDER_LEASE=3s",
		"OPENWABA_WEBHOOK_ALLOW_PRIVATE=true", "OPENWABA_TEMPLATE_SYNC_INTERVAL=0", "OPENWABA_DISPATCH_MAX_IN_FLIGHT=32",
	}
	c := &cluster{t: t, sb: sb, senders: senders, nodes: []*process{startProcess(t, bin, dir+"/0", env...)}}
	node0.Store(c.nodes[0].BaseURL)

	// The operator registers the senders, tops up, syncs the templates.
	getenv := func(k string) string {
		switch k {
		case "OPENWABA_DATABASE_URL":
			return db
		case "OPENWABA_META_ACCESS_TOKEN":
			return token
		case "OPENWABA_META_GRAPH_URL":
			return graph.URL
		}
		return ""
	}
	cli := func(args ...string) {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), args, getenv, &out, &out); err != nil {
			t.Fatalf("openwaba %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	for i, s := range senders {
		cli("senders", "add", s, "--phone-number-id", fmt.Sprintf("1000000000001%02d", i), "--waba-id", "200000000000009", "--mps", fmt.Sprint(mps))
	}
	cli("balance", "topup", "--account", "1", fmt.Sprint(total))
	cli("templates", "sync")
	for i := 1; i < n; i++ {
		c.nodes = append(c.nodes, startProcess(t, bin, fmt.Sprintf("%s/%d", dir, i), env...))
	}
	return c
}

// send accepts total messages, 100 per request, the senders taking turns
// so that every claim mixes them and every node has work of every sender,
// the requests going to the nodes in turn; it returns the message ids.
func (c *cluster) send(total int) []string {
	c.t.Helper()
	var ids []string
	for k := range total / 100 {
		i := k % len(c.senders)
		var to []string
		for j := range 100 {
			to = append(to, fmt.Sprintf("4917%d%07d", i, k*100+j))
		}
		body := `{"from":"` + c.senders[i] + `","to":"` + strings.Join(to, ",") + `","type":"template","template":"hello_world","language":"en"}`
		r := c.nodes[k%len(c.nodes)].do("POST", "/api/waba/messages", body)
		if r.Status != 200 {
			c.t.Fatalf("send: %d %.300s", r.Status, r.Body)
		}
		var resp struct{ Messages []struct{ ID string } }
		if err := json.Unmarshal(r.Body, &resp); err != nil {
			c.t.Fatal(err)
		}
		for _, m := range resp.Messages {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// accepted returns the sends the Graph API accepted.
func (c *cluster) accepted() []sandbox.SentRequest {
	var ok []sandbox.SentRequest
	for _, s := range c.sb.Sent() {
		if s.Status == http.StatusOK {
			ok = append(ok, s)
		}
	}
	return ok
}

func distinctRecipients(sent []sandbox.SentRequest) map[string]bool {
	out := map[string]bool{}
	for _, s := range sent {
		var b struct{ To string }
		if json.Unmarshal(s.Body, &b) == nil {
			out[b.To] = true
		}
	}
	return out
}

func recipientOf(t testing.TB, body []byte) string {
	var b struct{ To string }
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("send body %s: %v", body, err)
	}
	return b.To
}

// waitUntil polls cond until it holds, or fails after limit (a generous
// deadline, not a timing assertion); state, if given, says where things
// stood.
func waitUntil(t testing.TB, limit time.Duration, what string, cond func() bool, state ...func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			for _, f := range state {
				t.Log(f())
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
