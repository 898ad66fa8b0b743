package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
)

// A message that keeps meeting temporary errors is retried with growing
// delays, and fails once its attempts are used up: the time spent on it
// is bounded by the sum of the (jittered) backoffs.
func TestRetriesEndAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Backoff: Backoff{Base: time.Second, Max: 8 * time.Second, MaxAttempts: 5}})
	m := e.acceptTemplate(t)
	e.sb.InjectError(130429, 100)

	var delays []time.Duration
	for got := e.message(t, m.ID); got.Status == openwaba.StatusQueued; got = e.message(t, m.ID) {
		if len(delays) > 10 {
			t.Fatal("still retrying after 10 attempts")
		}
		before := e.clk.Now()
		if e.dispatchDue(t) != 1 {
			t.Fatalf("nothing due at %v", before)
		}
		if next, ok, _ := e.store.NextDue(context.Background()); ok {
			delays = append(delays, next.Sub(before))
			e.clk.set(next)
		}
	}
	got := e.message(t, m.ID)
	if got.Status != openwaba.StatusFailed || got.ErrorCode != 130429 || !got.Refunded {
		t.Errorf("ended %s code %d refunded %v, want failed 130429, refunded", got.Status, got.ErrorCode, got.Refunded)
	}
	if n := e.sentCount(); n != 5 {
		t.Errorf("%d attempts reached WhatsApp, want 5", n)
	}
	// 1, 2, 4, 8 s nominal, each ±20 %.
	nominal := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	if len(delays) != len(nominal) {
		t.Fatalf("delays %v, want %d of them", delays, len(nominal))
	}
	for i, d := range delays {
		if d < nominal[i]*8/10 || d > nominal[i]*12/10 {
			t.Errorf("delay %d = %v, want %v ± 20%%", i+1, d, nominal[i])
		}
	}
}

// Retries never outlive the message's validity: when the next attempt
// would come after it, the message expires now.
func TestRetriesEndWithValidity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Backoff: Backoff{Base: time.Second, Max: time.Minute, MaxAttempts: 100}})
	// Valid for 2 s: the first retry (about 1 s) fits, the second (about
	// 2 s later) does not.
	m := e.accept(t, helloWorld, 2*time.Second)
	e.sb.InjectError(131000, 100)

	e.dispatchDue(t)
	e.clk.set(e.nextDue(t))
	e.dispatchDue(t)
	got := e.message(t, m.ID)
	if got.Status != openwaba.StatusExpired || got.ErrorCode != 131000 || !got.Refunded {
		t.Errorf("ended %s code %d refunded %v, want expired with the last error, refunded", got.Status, got.ErrorCode, got.Refunded)
	}
	if e.clk.Now().After(m.ExpiresAt) {
		t.Errorf("an attempt ran at %v, after the validity ended at %v", e.clk.Now(), m.ExpiresAt)
	}
}
