package main

import (
	"strings"
	"testing"
)

// With the sandbox enforcing Meta's pair rate limit (a burst of 10, then
// one message per 6 s to the same user), a batch of 11 to one user still
// arrives in full: the 11th is refused with 131056 and the dispatcher
// sends it again once the pair's pace allows. It takes about 6 s.
func TestPairRateLimitEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for Meta's 6 s pair interval")
	}
	g := startTestGateway(t, func(c *config) { c.SandboxRateLimits = true })
	to := strings.Repeat(testUser+",", 10) + testUser
	resp := g.send(`{"from":"4915112345678","to":"` + to + `","type":"template","template":"hello_world","language":"de"}`)
	msgs := resp["messages"].([]any)
	if len(msgs) != 11 {
		t.Fatalf("accepted %d messages, want 11", len(msgs))
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
