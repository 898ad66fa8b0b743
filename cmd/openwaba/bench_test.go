package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/postgres/pgtest"
)

// BenchmarkAccept measures POST /api/waba/messages end to end over
// loopback HTTP: decode, validate, price, group-committed insert, response.
// "now" messages are dispatched to the sandbox while the benchmark runs;
// "scheduled" ones are due in a day, so only the accept path is measured.
//
// The postgres/ variants run the same on PostgreSQL (see pgtest for the
// server; skipped without one unless CI is set).
func BenchmarkAccept(b *testing.B) {
	for _, bc := range []struct {
		name, body string
		postgres   bool
	}{
		{"now", helloWorld, false},
		{"scheduled", strings.Replace(helloWorld, `"language":"de"`, `"language":"de","delay":"`+time.Now().Add(24*time.Hour).UTC().Format(time.DateTime)+`"`, 1), false},
		{"postgres/now", helloWorld, true},
		{"postgres/scheduled", strings.Replace(helloWorld, `"language":"de"`, `"language":"de","delay":"`+time.Now().Add(24*time.Hour).UTC().Format(time.DateTime)+`"`, 1), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var dbURL string
			if bc.postgres {
				dbURL = pgtest.Database(b)
			}
			cfg := config{DatabaseURL: dbURL,
				Addr: "127.0.0.1:0", DataDir: b.TempDir(), APIKey: testKey, LogLevel: "error",
				MetaGraphURL: "https://graph.facebook.com", MetaAPIVersion: "v23.0", SandboxAddr: "127.0.0.1:0", SandboxStatusDelay: time.Millisecond,
			}
			g, err := startGateway(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				_ = g.Shutdown(ctx)
			}()
			if _, err := g.store.Credit(context.Background(), 1, 1_000_000*openwaba.MicrosPerUnit, "benchmark"); err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			url := "http://" + g.Addr + "/api/waba/messages"
			b.SetParallelism(16) // 16 × GOMAXPROCS concurrent clients
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", url, strings.NewReader(bc.body))
					req.Header.Set("X-Api-Key", testKey)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
