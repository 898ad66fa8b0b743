package main

import (
	"strings"
	"testing"
	"time"
)

// TestDelayInAccountTimeZone: the default account's time zone comes from
// OPENWABA_TIME_ZONE, survives restarts, and is the zone a delay date
// without an offset is read in.
func TestDelayInAccountTimeZone(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// Whole seconds, a day ahead.
	due := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	scheduled := func(g *testGateway, loc *time.Location) string {
		t.Helper()
		body := strings.Replace(helloWorld, `"language":"de"`, `"language":"de","delay":"`+due.In(loc).Format(time.DateTime)+`"`, 1)
		id := firstID(t, g.send(body))
		m := g.do("GET", "/api/waba/messages/"+id, "").JSON(t)
		if m["status"] != "scheduled" {
			t.Fatalf("status %v, want scheduled", m["status"])
		}
		return m["scheduled"].(string)
	}
	want := due.UTC().Format(time.RFC3339)

	g := startTestGateway(t, func(c *config) { c.TimeZone = "Europe/Berlin" })
	if got := scheduled(g, berlin); got != want {
		t.Errorf("Berlin date scheduled at %s, want %s", got, want)
	}
	g.stop()

	// Not configured again: the stored zone stays.
	cfg := g.cfg
	cfg.TimeZone = ""
	g = startWithConfig(t, cfg)
	if got := scheduled(g, berlin); got != want {
		t.Errorf("after a restart, Berlin date scheduled at %s, want %s", got, want)
	}
	g.stop()

	cfg.TimeZone = "Asia/Tokyo"
	g = startWithConfig(t, cfg)
	if got := scheduled(g, tokyo); got != want {
		t.Errorf("Tokyo date scheduled at %s, want %s", got, want)
	}
}

// TestScheduleLimits: what delay and ttl refuse, over HTTP.
func TestScheduleLimits(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	tooFar := time.Now().AddDate(1, 0, 1).UTC().Format(time.DateTime)
	tests := []struct {
		name, extra, message string
	}{
		{"delay over a year ahead", `"delay":"` + tooFar + `"`, "delay: must be at most one year ahead"},
		{"delay not a date", `"delay":"tomorrow"`, "delay: must be YYYY-MM-DD hh:mm:ss"},
		{"ttl zero", `"ttl":0`, "ttl: must be between 1 and 43200 minutes"},
		{"ttl over 30 days", `"ttl":43201`, "ttl: must be between 1 and 43200 minutes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := strings.Replace(helloWorld, `"language":"de"`, `"language":"de",`+tc.extra, 1)
			r := g.do("POST", "/api/waba/messages", body)
			if r.Status != 400 {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
			if msg, _ := r.JSON(t)["error_message"].(string); !strings.HasPrefix(msg, tc.message) {
				t.Errorf("error_message %q, want it to start with %q", msg, tc.message)
			}
		})
	}
}
