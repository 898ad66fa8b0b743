package webhook_test

import (
	"bufio"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// blackHole accepts connections and reads requests but never answers, as
// a receiver behind a dead load balancer does: every attempt waits out
// the timeout.
type blackHole struct {
	ln       net.Listener
	requests atomic.Int64
}

func newBlackHole(t testing.TB) *blackHole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					if _, err := http.ReadRequest(r); err != nil {
						return
					}
					b.requests.Add(1)
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return b
}

// TestDeadReceiverHeldBack: a receiver that stops answering gets a few
// attempts, not every one: after HoldAfter failures in a row its
// webhooks are held back (counted as failed attempts, on their retry
// schedule, then dead-lettered as any other), while another hook of the
// same deliverer gets all of its own. Without the circuit the dead one
// would get all 30 × 9 attempts, each holding a worker for the timeout.
func TestDeadReceiverHeldBack(t *testing.T) {
	t.Parallel()
	const workers, holdAfter, messages = 4, 2, 30
	rec := &recordedMetrics{}
	e := newEnv(t, func(c *webhook.Config) {
		c.Workers, c.Timeout, c.Metrics = workers, 200*time.Millisecond, rec
		c.HoldAfter, c.Hold = holdAfter, time.Hour
		c.Retries = slices.Repeat([]time.Duration{10 * time.Millisecond}, 8)
	})
	dead := newBlackHole(t)
	alive := newReceiver(t)
	deadHook := e.hook("http://"+dead.ln.Addr().String()+"/hook", openwaba.HookDLR, "JSON", "")
	aliveHook := e.hook(alive.URL, openwaba.HookDLR, "JSON", "")
	for i := range messages {
		e.message("wamid.held."+string(rune('a'+i)), openwaba.StatusSent)
	}
	alive.waitRequests(t, messages)
	if until, held := e.d.HeldUntil(deadHook.ID, deadHook.TargetURL); !held || !until.After(time.Now().Add(50*time.Minute)) {
		t.Errorf("the dead receiver: held %v until %v, want held for the hour", held, until)
	}
	if _, held := e.d.HeldUntil(aliveHook.ID, aliveHook.TargetURL); held {
		t.Error("the live receiver is held back")
	}
	for _, d := range e.dead(messages) {
		if d.Hook.TargetURL != "http://"+dead.ln.Addr().String()+"/hook" || d.Attempts != 9 ||
			!strings.HasPrefix(d.LastError, "gave up after 9 attempts: held back: the receiver failed its last ") {
			t.Errorf("dead delivery %d to %s: %d attempts, %q", d.ID, d.Hook.TargetURL, d.Attempts, d.LastError)
		}
	}
	// Those in flight when it opened, and the ones begun before the
	// second failure came back.
	if n := dead.requests.Load(); n > workers+holdAfter {
		t.Errorf("the dead receiver got %d requests, want at most %d", n, workers+holdAfter)
	}
	held := 0
	for _, o := range rec.outcomes() {
		if o == "dlr held" {
			held++
		}
	}
	if want := messages*9 - int(dead.requests.Load()); held < want-messages { // each one's last is "dead"
		t.Errorf("%d attempts held back, want at least %d", held, want-messages)
	}
}

// TestHeldReceiverProbedBack: once a held-back receiver answers again, a
// probe finds it and its webhooks go out; none is lost.
func TestHeldReceiverProbedBack(t *testing.T) {
	t.Parallel()
	const messages = 5
	rec := &recordedMetrics{}
	e := newEnv(t, func(c *webhook.Config) {
		c.Metrics, c.HoldAfter, c.Hold, c.MaxHold = rec, 2, 50*time.Millisecond, 50*time.Millisecond
		c.Retries = append(slices.Repeat([]time.Duration{20 * time.Millisecond}, 50), slices.Repeat([]time.Duration{time.Second}, 10)...)
	})
	r := newReceiver(t)
	addr := r.Listener.Addr().String()
	r.Close() // down: connections refused
	e.hook("http://"+addr+"/hook", openwaba.HookDLR, "JSON", "")
	for i := range messages {
		e.message("wamid.probe."+string(rune('a'+i)), openwaba.StatusSent)
	}
	waitFor(t, "an attempt held back", func() ([]string, bool) {
		got := rec.outcomes()
		return got, slices.Contains(got, "dlr held")
	})
	up := newReceiverOn(t, addr)
	got := up.waitRequests(t, messages)
	for _, g := range got {
		verify(t, g)
	}
	if dead, _ := e.store.DeadDeliveries(t.Context(), e.account.ID); len(dead) != 0 {
		t.Errorf("dead: %+v", dead)
	}
}
