package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/pgtest"
)

// BenchmarkWebhookIngress measures Meta's status webhooks end to end over
// loopback HTTP against a real gateway on SQLite (postgres/: on
// PostgreSQL, see pgtest for the server): signature check, decode, the
// store's writes (journal, forward-only status, settlement with the
// pricing Meta gives sent and delivered, the recipient's ids linked), the
// answer. One op is one status report; a message gets Meta's three (sent,
// delivered, read), batched as Meta batches a busy number: /1 one status
// per POST, /10 ten messages' reports of one status per POST.
//
// The messages are accepted (scheduled, so the dispatcher leaves them),
// claimed and given wamids through the store before the timer starts.
// cpu-µs/status is the CPU time of the whole process (gateway and the
// benchmark's client, which signs and posts) per status report.
func BenchmarkWebhookIngress(b *testing.B) {
	for _, postgres := range []bool{false, true} {
		for _, batch := range []int{1, 10} {
			name := strconv.Itoa(batch)
			if postgres {
				name = "postgres/" + name
			}
			b.Run(name, func(b *testing.B) { benchIngress(b, batch, postgres) })
		}
	}
}

func benchIngress(b *testing.B, batch int, postgres bool) {
	const secret = "bench-app-secret"
	var dbURL string
	if postgres {
		dbURL = pgtest.Database(b)
	}
	cfg := config{DatabaseURL: dbURL,
		Addr: "127.0.0.1:0", DataDir: b.TempDir(), APIKey: testKey, LogLevel: "error",
		MetaGraphURL: "https://graph.facebook.com", MetaAPIVersion: "v23.0", MetaAppSecret: secret,
		SandboxAddr: "127.0.0.1:0", SandboxStatusDelay: time.Hour,
	}
	ctx := context.Background()
	g, err := startGateway(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = g.Shutdown(ctx)
	}()
	if _, err := g.store.Credit(ctx, 1, 1_000_000*openwaba.MicrosPerUnit, "benchmark"); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	// Messages with wamids, three reports each, in groups of batch.
	messages := (b.N + 2) / 3
	messages = (messages + batch - 1) / batch * batch
	wamids := benchSubmitted(b, g, client, messages)
	type post struct{ bodies [3][]byte }
	var posts []post
	for i := 0; i < len(wamids); i += batch {
		var p post
		for k, st := range []string{"sent", "delivered", "read"} {
			p.bodies[k] = statusWebhook(wamids[i:i+batch], st)
		}
		posts = append(posts, p)
	}
	url := "http://" + g.Addr + "/webhooks/meta"
	sign := func(body []byte) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	var next atomic.Int64
	b.SetParallelism(16) // 16 × GOMAXPROCS concurrent webhooks, as Meta's
	before := cpuTime()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)) - 1
			if i >= len(posts) {
				continue
			}
			// A message's reports in order, as Meta sends them.
			for _, body := range posts[i].bodies {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hub-Signature-256", sign(body))
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("webhook: status %d", resp.StatusCode)
					return
				}
			}
		}
	})
	elapsed := time.Since(start)
	cpu := cpuTime() - before
	b.StopTimer()
	statuses := 3 * min(int(next.Load()), len(posts)) * batch
	b.ReportMetric(float64(statuses)/elapsed.Seconds(), "statuses/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(statuses), "cpu-µs/status")
	// The reports were applied: the last message read.
	if m, err := g.store.MessageByWAMID(ctx, 1, wamids[len(wamids)-1].wamid); err != nil || m.Status != openwaba.StatusRead ||
		m.Pricing == nil || m.Pricing.Category != "marketing" {
		b.Errorf("last message after its reports: %v %+v %v, want read, priced as marketing", m.Status, m.Pricing, err)
	}
}

// benchSubmitted accepts n messages (scheduled, to distinct numbers),
// claims them and gives each a wamid, as the dispatcher does after Meta
// took them; it returns the wamids.
func benchSubmitted(b *testing.B, g *gateway, client *http.Client, n int) []benchMessage {
	ctx := context.Background()
	delay := time.Now().Add(24 * time.Hour).UTC().Format(time.DateTime)
	for sent := 0; sent < n; {
		k := min(n-sent, 1000)
		to := make([]string, k)
		for i := range to {
			to[i] = fmt.Sprintf("49176%08d", sent+i)
		}
		body := `{"from":"4915112345678","to":"` + strings.Join(to, ",") +
			`","type":"template","template":"hello_world","language":"de","delay":"` + delay + `"}`
		req, _ := http.NewRequest("POST", "http://"+g.Addr+"/api/waba/messages", strings.NewReader(body))
		req.Header.Set("X-Api-Key", testKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"success":"100"`)) {
			b.Fatalf("accept: %d %s", resp.StatusCode, raw[:min(len(raw), 300)])
		}
		sent += k
	}
	var wamids []benchMessage
	for len(wamids) < n {
		claimed, err := g.store.ClaimDue(ctx, time.Now().Add(48*time.Hour), time.Hour, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(claimed) == 0 {
			b.Fatalf("claimed %d of %d messages", len(wamids), n)
		}
		for _, m := range claimed {
			w := "wamid.bench." + strconv.FormatInt(m.ID, 10)
			if err := g.store.MarkSubmitted(ctx, m.ID, w, time.Now()); err != nil {
				b.Fatal(err)
			}
			wamids = append(wamids, benchMessage{w, m.Recipient})
		}
	}
	return wamids
}

// benchMessage is a message Meta took: its wamid and recipient.
type benchMessage struct{ wamid, to string }

// statusWebhook is Meta's webhook body reporting status st for wamids,
// with the recipient's number as Meta names it.
func statusWebhook(wamids []benchMessage, st string) []byte {
	type pricing struct {
		Billable bool   `json:"billable"`
		Model    string `json:"pricing_model"`
		Type     string `json:"type"`
		Category string `json:"category"`
	}
	type status struct {
		ID          string   `json:"id"`
		Status      string   `json:"status"`
		Timestamp   string   `json:"timestamp"`
		RecipientID string   `json:"recipient_id"`
		Pricing     *pricing `json:"pricing,omitempty"`
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	statuses := make([]status, len(wamids))
	for i, w := range wamids {
		statuses[i] = status{ID: w.wamid, Status: st, Timestamp: now, RecipientID: w.to}
		if st == "sent" || st == "delivered" {
			// As Meta prices them since 2025-07-01 (the sandbox's
			// statusJob): hello_world is a marketing template.
			statuses[i].Pricing = &pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}
		}
	}
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "102290129340398", "changes": []any{map[string]any{
			"field": "messages",
			"value": map[string]any{
				"messaging_product": "whatsapp",
				"metadata":          map[string]string{"display_phone_number": "4915112345678", "phone_number_id": "106540352242922"},
				"statuses":          statuses,
			},
		}}}},
	})
	return body
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
