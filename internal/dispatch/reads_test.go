package dispatch_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/cached"
)

// With the sender served from memory (cached.Reads, as the gateway runs
// it), a change to the sender holds for the next claim: the dispatcher
// refreshes the cache before each. A sender removed after its first
// message went out fails the next one instead of sending it.
func TestReadsRefreshedBeforeEachClaim(t *testing.T) {
	t.Parallel()
	g := newGraph(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, g, 0)
		e.cfg.Reads = cached.New(e.store)
		e.start()
		first := e.accept(template(1, time.Now(), openwaba.DefaultTTL))[0]
		if got := e.waitSettled(first.ID)[0]; got.WAMID == "" {
			t.Fatalf("first message ended %s (%s), want sent", got.Status, got.ErrorText)
		}
		if err := e.store.RemoveSender(t.Context(), testSender); err != nil {
			t.Fatal(err)
		}
		second := e.accept(template(2, time.Now(), openwaba.DefaultTTL))[0]
		got := e.waitSettled(second.ID)[0]
		if got.WAMID != "" || got.Status != openwaba.StatusFailed || !strings.Contains(got.ErrorText, "removed") {
			t.Fatalf("second message: status %s, wamid %q, error %q; want failed, the number was removed", got.Status, got.WAMID, got.ErrorText)
		}
		if n := len(e.up.records()); n != 1 {
			t.Errorf("%d sends, want only the first", n)
		}
	})
}
