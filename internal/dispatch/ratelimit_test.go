package dispatch

import (
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/sandbox"
)

// Against the sandbox's pair rate limit (a burst of 2, then one per 6 s),
// messages to one user beyond the burst are refused with 131056 and
// rescheduled at least 6 s later, not failed; in the end every message
// is sent.
func TestPairRateLimitReschedules(t *testing.T) {
	t.Parallel()
	var e *env
	e = newEnv(t, Config{}, func(c *sandbox.Config) {
		c.RateLimits = &sandbox.RateLimits{PairInterval: 6 * time.Second, PairBurst: 2}
		c.Now = func() time.Time { return e.clk.Now() }
	})
	var toUser []openwaba.Message
	for range 4 {
		toUser = append(toUser, e.acceptTemplate(t))
	}

	e.dispatchDue(t)
	var limited int
	for _, m := range toUser {
		got := e.message(t, m.ID)
		switch {
		case got.WAMID != "":
		case got.Status == openwaba.StatusQueued && got.ErrorCode == 131056:
			limited++
		default:
			t.Errorf("message %d: %s code %d, want sent or rescheduled after 131056", m.ID, got.Status, got.ErrorCode)
		}
	}
	if limited == 0 {
		t.Fatal("no message met the pair limit")
	}
	if next := e.nextDue(t); next.Sub(t0) < 6*time.Second {
		t.Errorf("rescheduled in %v, want at least Meta's 6 s", next.Sub(t0))
	}
	for range 10 {
		next, ok, err := e.store.NextDue(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		e.clk.set(next)
		e.dispatchDue(t)
	}
	for _, m := range toUser {
		if got := e.message(t, m.ID); got.WAMID == "" {
			t.Errorf("message %d never sent: %s %d", m.ID, got.Status, got.ErrorCode)
		}
	}
}
