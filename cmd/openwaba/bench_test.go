package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
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

// BenchmarkFollowLink measures GET /s/{code} over loopback HTTP: look up
// the link, count the click and store its tracking webhook (one durable
// group-committed write), redirect.
func BenchmarkFollowLink(b *testing.B) {
	cfg := config{
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
	body := strings.Replace(helloWorld, `"template":"hello_world","language":"de"`,
		`"template":"order_confirmation","language":"en","performance_tracking":true,"components":{"body":["Anna","https://shop.example/o/1"],"buttons":[{"type":"button","sub_type":"url","parameters":[{"type":"text","text":"1"}]}]}`, 1)
	req, _ := http.NewRequest("POST", "http://"+g.Addr+"/api/waba/messages", strings.NewReader(body))
	req.Header.Set("X-Api-Key", testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code := regexp.MustCompile(`/s/([A-Za-z0-9]{8})`).FindSubmatch(raw)
	if code == nil {
		b.Fatalf("no short link in %s", raw)
	}
	url := "http://" + g.Addr + "/s/" + string(code[1])
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: 256},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("User-Agent", "Mozilla/5.0 (benchmark)")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "clicks/s")
}
