package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba/internal/sandbox"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// BenchmarkInboundMedia measures inbound media end to end: users send
// photos through the sandbox (a signed webhook to the gateway), the
// gateway downloads each from the sandbox's Graph API over HTTP, checks
// and stores it in the database in chunks, and delivers its wa_mo to the
// customer's receiver. It reports files/s and MB/s of files that reached
// the customer, on SQLite and PostgreSQL (docs/performance.md).
func BenchmarkInboundMedia(b *testing.B) {
	for _, bc := range []struct {
		name     string
		size     int
		postgres bool
	}{
		{"sqlite/100KB", 100 << 10, false},
		{"sqlite/1MB", 1 << 20, false},
		{"postgres/100KB", 100 << 10, true},
		{"postgres/1MB", 1 << 20, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var dbURL string
			if bc.postgres {
				dbURL = pgtest.Database(b)
			}
			cfg := config{DatabaseURL: dbURL,
				Addr: "127.0.0.1:0", DataDir: b.TempDir(), APIKey: testKey, LogLevel: "error",
				MetaGraphURL: "https://graph.facebook.com", MetaAPIVersion: "v23.0", SandboxAddr: "127.0.0.1:0", SandboxStatusDelay: time.Millisecond,
				WebhookAllowPrivate: true, WebhookTimeout: 5 * time.Second,
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
			var got atomic.Int64
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var env struct {
					Data struct {
						Media *struct {
							Size int64 `json:"size"`
						} `json:"media"`
					} `json:"data"`
				}
				if json.NewDecoder(r.Body).Decode(&env) == nil && env.Data.Media != nil && env.Data.Media.Size == int64(bc.size) {
					got.Add(1)
				}
			}))
			defer recv.Close()
			tg := &testGateway{gateway: g, BaseURL: "http://" + g.Addr}
			tg.t = b
			if r := tg.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"wa_mo","request_method":"JSON"}`); r.Status != 200 {
				b.Fatalf("create hook: %d %s", r.Status, r.Body)
			}
			photo := make([]byte, bc.size)
			copy(photo, "\xff\xd8\xff\xe0")

			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			next := atomic.Int64{}
			for range 8 { // users writing at once
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						photo := append([]byte(nil), photo...)
						copy(photo[8:], fmt.Sprint(i)) // every file its own
						um := sandbox.UserMessage{Type: sandbox.InboundImage, Data: photo, MIMEType: "image/jpeg"}
						if _, err := g.sandbox.InboundMessage(context.Background(), fmt.Sprintf("4917655%06d", i), testSender, um); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			deadline := time.Now().Add(5 * time.Minute)
			for got.Load() < int64(b.N) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if n := got.Load(); n < int64(b.N) {
				b.Fatalf("%d of %d wa_mo with their file", n, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "files/s")
			b.ReportMetric(float64(b.N)*float64(bc.size)/(1<<20)/elapsed.Seconds(), "MB/s")
		})
	}
}
