package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/api"
)

// TestQueueShowsTheBacklog: GET /api/waba/queue shows the caller's
// senders with what is due now and how late it is, not what is scheduled
// later nor another account's backlog, and the caller's hooks, with the
// one whose receiver is failing held back until its next probe.
func TestQueueShowsTheBacklog(t *testing.T) {
	t.Parallel()
	const failing = "http://127.0.0.1:2/h"
	probe := time.Date(2026, 12, 3, 12, 0, 30, 0, time.UTC)
	f := hardeningFixture(t, func(c *api.Config) {
		c.HookHeld = func(_ int64, target string) (time.Time, bool) { return probe, target == failing }
	})
	ctx := context.Background()
	now := f.clock.Now()
	msg := func(sender string, due time.Time) openwaba.Message {
		return openwaba.Message{Sender: sender, Recipient: "4917612345678", Content: openwaba.Content{Type: openwaba.TypeText, Text: "hi"},
			Text: "hi", Category: openwaba.CategoryService, TTL: openwaba.DefaultTTL, CreatedAt: now, ScheduledAt: due,
			ExpiresAt: due.Add(openwaba.DefaultTTL), Status: openwaba.StatusQueued, StatusAt: now}
	}
	if _, err := f.store.Accept(ctx, 1, []openwaba.Message{
		msg("4915112345678", now), msg("4915112345678", now.Add(2*time.Second)), msg("4915112345678", now.Add(3*time.Second)),
		msg("4915112345678", now.Add(time.Hour)), // scheduled: not due
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Accept(ctx, 2, []openwaba.Message{msg("4915199999999", now)}); err != nil {
		t.Fatal(err)
	}
	hook, err := f.store.CreateHook(ctx, openwaba.Hook{AccountID: 1, TargetURL: "http://127.0.0.1:1/h", EventType: openwaba.HookAll, RequestMethod: "JSON"})
	if err != nil {
		t.Fatal(err)
	}
	held, err := f.store.CreateHook(ctx, openwaba.Hook{AccountID: 1, TargetURL: failing, EventType: openwaba.HookAll, RequestMethod: "JSON"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(10 * time.Second)

	r := f.do("GET", "/api/waba/queue", "", "X-Api-Key", "key-a")
	if r.status != 200 {
		t.Fatalf("GET /api/waba/queue: %d %s", r.status, r.body)
	}
	var q struct {
		Senders []struct {
			Sender       string  `json:"sender"`
			MPS          int     `json:"mps"`
			Due          int     `json:"due"`
			OldestDue    *string `json:"oldest_due"`
			LagSeconds   float64 `json:"lag_seconds"`
			DrainSeconds float64 `json:"drain_seconds"`
		} `json:"senders"`
		Hooks []struct {
			HookID    int64   `json:"hook_id"`
			Pending   int     `json:"pending"`
			Dead      int     `json:"dead"`
			HeldUntil *string `json:"held_until"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal([]byte(r.body), &q); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	if len(q.Senders) != 1 || q.Senders[0].Sender != "4915112345678" {
		t.Fatalf("senders %+v, want account 1's only", q.Senders)
	}
	s := q.Senders[0]
	if s.Due != 3 || s.MPS != openwaba.DefaultMPS || s.OldestDue == nil || s.LagSeconds != 10 || s.DrainSeconds != 3.0/openwaba.DefaultMPS {
		t.Errorf("sender backlog %+v (oldest %v); want 3 due, 10 s late, %v s to drain at %d/s", s, deref(s.OldestDue), 3.0/openwaba.DefaultMPS, openwaba.DefaultMPS)
	}
	if len(q.Hooks) != 2 || q.Hooks[0].HookID != hook.ID || q.Hooks[0].Pending != 0 || q.Hooks[0].Dead != 0 || q.Hooks[0].HeldUntil != nil ||
		q.Hooks[1].HookID != held.ID || deref(q.Hooks[1].HeldUntil) != "2026-12-03T12:00:30Z" {
		t.Errorf("hooks %s, want hook %d with nothing waiting, hook %d held until 12:00:30", r.body, hook.ID, held.ID)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
