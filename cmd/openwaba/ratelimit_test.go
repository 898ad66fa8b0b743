package main

import (
	"strings"
	"testing"

	"github.com/openwaba/openwaba/internal/sandbox"
)

// With the sandbox enforcing Meta's pair rate limit (a burst of 45, then
// one message per 6 s to the same user), a batch of 46 to one user still
// arrives in full: the 46th is refused with 131056 and the dispatcher
// sends it again once the pair's pace allows. It takes about 6 s.
func TestPairRateLimitEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for Meta's 6 s pair interval")
	}
	g := startTestGateway(t, func(c *config) { c.SandboxRateLimits = true })
	n := sandbox.MetaPairBurst + 1
	to := strings.Repeat(testUser+",", n-1) + testUser
	resp := g.send(`{"from":"4915112345678","to":"` + to + `","type":"template","template":"hello_world","language":"de"}`)
	msgs := resp["messages"].([]any)
	if len(msgs) != n {
		t.Fatalf("accepted %d messages, want %d", len(msgs), n)
	}
	limited := false
	for _, m := range msgs {
		got := g.waitStatus(m.(map[string]any)["id"].(string), "read")
		if got.ErrorCode == 131056 {
			limited = true
		}
	}
	if !limited {
		t.Log("no message met the pair limit (the dispatcher was slower than the burst)")
	}
}

// TestSpecExamplesBackToBack: every message example of seven's
// documentation, sent one after the other to one user of a gateway whose
// sandbox enforces Meta's limits (as openwaba serve does by default), and
// then a reaction to the first, all go through: they fit in Meta's burst
// of 45, where the sandbox's former burst of 10 refused the reaction with
// 131056.
func TestSpecExamplesBackToBack(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.SandboxRateLimits = true })
	g.openWindow(testUser)
	var ids []string
	for _, ex := range loadSpecExamples(t) {
		path := strings.TrimPrefix(ex.URL, "https://gateway.seven.io")
		if ex.Method != "POST" || path != "/api/waba/messages" {
			continue
		}
		ids = append(ids, firstID(t, g.send(ex.Body)))
	}
	if len(ids) < 12 {
		t.Fatalf("sent %d examples, want the spec's message examples", len(ids))
	}
	r := g.do("POST", "/api/waba/events", `{"event":"reaction","msg_id":"`+ids[0]+`","emoji":"👍"}`)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"success":true`) {
		t.Fatalf("reaction after %d messages: %d %s", len(ids), r.Status, r.Body)
	}
	for _, id := range ids {
		if m := g.waitStatus(id, "read"); m.ErrorCode == 131056 {
			t.Errorf("message %s met the pair limit", id)
		}
	}
}
