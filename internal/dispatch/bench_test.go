package dispatch_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/dispatch"
	"github.com/openwaba/openwaba/internal/meta"
	"github.com/openwaba/openwaba/internal/store/cached"
)

// Scheduling at scale; see docs/performance.md for how to run these and
// what they measured. They run in real time against the real store and
// the sandbox over loopback HTTP, and each iteration is the whole scenario
// (run them with -benchtime=1x).

// BenchmarkScheduledMillion adds one million messages scheduled for
// tomorrow, 1000 per Accept (the most one API request carries), while a
// dispatcher runs, and reports the accept rate and the memory in use at
// 100k and at 1M stored messages: it must stay flat, because scheduled
// messages live in the database. Then it restarts (store and dispatcher)
// and reports how long that took and the memory after it: startup does not
// load the scheduled messages.
func BenchmarkScheduledMillion(b *testing.B) {
	const total, batch = 1_000_000, 1000
	for b.Loop() {
		g := newGraph(b)
		e := newEnv(b, g, 0)
		if _, err := e.store.Credit(b.Context(), e.account.ID, total*price, openwaba.ReasonTopUp); err != nil {
			b.Fatal(err)
		}
		e.start()
		due := time.Now().Add(24 * time.Hour)
		msgs := make([]openwaba.Message, batch)
		heapAt, rssAt := map[int]float64{}, map[int]float64{}
		start := time.Now()
		var acceptTime time.Duration
		for n := 0; n < total; n += batch {
			for i := range msgs {
				msgs[i] = template(n+i, due, openwaba.DefaultTTL)
			}
			t := time.Now()
			e.accept(msgs...)
			acceptTime += time.Since(t)
			if done := n + batch; done == 100_000 || done == total {
				heapAt[done], rssAt[done] = memory()
			}
		}
		b.ReportMetric(float64(total)/acceptTime.Seconds(), "accepted/s")
		b.ReportMetric(heapAt[100_000], "heapMB@100k")
		b.ReportMetric(heapAt[total], "heapMB@1M")
		b.ReportMetric(rssAt[100_000], "rssMB@100k")
		b.ReportMetric(rssAt[total], "rssMB@1M")
		b.Logf("1M scheduled added in %v", time.Since(start))

		e.shutdown()
		b.ReportMetric(fileMB(e.path)+fileMB(e.path+"-wal"), "dbMB@1M")
		runtime.GC()
		t := time.Now()
		e.open()
		d := e.start()
		// The dispatcher's first look at the queue, as Run does it.
		if _, _, err := e.store.NextDue(b.Context()); err != nil {
			b.Fatal(err)
		}
		if got, err := e.store.ClaimDue(b.Context(), time.Now(), time.Minute, 256); err != nil || len(got) != 0 {
			b.Fatalf("ClaimDue after restart: %d messages, %v; want none due", len(got), err)
		}
		b.ReportMetric(float64(time.Since(t).Microseconds())/1000, "restart-ms")
		heap, rss := memory()
		b.ReportMetric(heap, "heapMB@restart")
		b.ReportMetric(rss, "rssMB@restart")
		d.Notify()
		e.shutdown()
	}
}

// BenchmarkDueLag schedules 10,000 messages to fall due within the same
// second and reports the lag between each message's due time and the
// moment the dispatcher hands it to the upstream (p50, p99, max). Pacing
// is part of it: one sender at WhatsApp's highest throughput (1000
// messages/s) needs 10 s for 10,000 messages, so the spread over several
// senders shows the dispatcher's own lag.
func BenchmarkDueLag(b *testing.B) {
	const n = 10_000
	for _, bc := range []struct {
		senders, mps int
	}{
		{1, 1000},
		{10, 1000},
		{10, 100_000}, // no pacing in the way: the dispatcher's own limit
	} {
		b.Run(fmt.Sprintf("senders=%d/mps=%d", bc.senders, bc.mps), func(b *testing.B) {
			for b.Loop() {
				g := newGraph(b)
				e := newEnv(b, g, bc.mps)
				hc := e.asGateway(g.url)
				if _, err := e.store.Credit(b.Context(), e.account.ID, n*price, openwaba.ReasonTopUp); err != nil {
					b.Fatal(err)
				}
				senders := []string{testSender}
				for i := 1; i < bc.senders; i++ {
					number, id := fmt.Sprintf("49151100000%02d", i), fmt.Sprintf("1000000000001%02d", i)
					g.sb.AddNumber(id, testWABAID, number)
					err := e.store.PutSender(b.Context(), openwaba.Sender{Number: number, AccountID: e.account.ID, PhoneNumberID: id, WABAID: testWABAID, MPS: bc.mps})
					if err != nil {
						b.Fatal(err)
					}
					senders = append(senders, number)
				}
				d := e.start()
				// All due within one second, 3 s from now: time to accept.
				second := time.Now().Add(3 * time.Second).Truncate(time.Second)
				var msgs []openwaba.Message
				for i := range n {
					m := template(i, second.Add(time.Duration(i%1000)*time.Millisecond), openwaba.DefaultTTL)
					m.Sender = senders[i%len(senders)]
					msgs = append(msgs, m)
				}
				for c := range slices.Chunk(msgs, 1000) {
					e.accept(c...)
				}
				d.Notify()
				if time.Now().After(second) {
					b.Fatal("accepting took longer than the head start")
				}
				deadline := time.Now().Add(2 * time.Minute)
				for len(e.up.records()) < n {
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d sent after 2 minutes", len(e.up.records()), n)
					}
					time.Sleep(50 * time.Millisecond)
				}
				var lags []time.Duration
				for _, s := range e.up.records() {
					if !s.ok {
						b.Fatalf("send of message %d failed", s.msg.ID)
					}
					lags = append(lags, s.at.Sub(s.msg.ScheduledAt))
				}
				slices.Sort(lags)
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
				b.ReportMetric(ms(lags[len(lags)/2]), "p50-ms")
				b.ReportMetric(ms(lags[len(lags)*99/100]), "p99-ms")
				b.ReportMetric(ms(lags[len(lags)-1]), "max-ms")
				if lags[0] < 0 {
					b.Errorf("a message was sent %v before its due time", -lags[0])
				}
				e.shutdown()
				hc.CloseIdleConnections()
			}
		})
	}
}

// asGateway sends to the Graph API at url as cmd/openwaba serve does: over
// Meta's connection pool (meta.NewHTTPClient), not the synctest harness's
// one connection per send, since benchmarks run in real time, where
// connections can stay open; with senders and templates read from memory
// (cached.Reads), the template the messages name among them, as a
// templates sync stores it. It returns the pool, to close once done.
func (e *env) asGateway(url string) *http.Client {
	err := e.store.PutTemplate(e.t.Context(), openwaba.Template{AccountID: e.account.ID, ID: "1000000000000002", Name: "hello_world",
		Language: "en", Category: "MARKETING", Status: "APPROVED", ParameterFormat: "POSITIONAL",
		Components: []openwaba.TemplateComponent{{Type: "BODY", Text: "Hello World"}}, UpdatedAt: time.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	hc := meta.NewHTTPClient(dispatch.DefaultMaxInFlight)
	e.up.Upstream = meta.NewClient(meta.Config{GraphURL: url, AccessToken: testToken, HTTPClient: hc})
	e.cfg.Reads = cached.New(e.store)
	return hc
}

// memory returns the Go heap in use after a collection and the process'
// resident set size (Linux; -1 elsewhere), in MB. SQLite's page cache is
// not on the Go heap (modernc's libc allocates outside it), so RSS is the
// figure that includes it.
func memory() (heapMB, rssMB float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20), rss()
}

// fileMB is the size of a file in MB, 0 when it does not exist.
func fileMB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / (1 << 20)
}

func rss() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return -1
			}
			return kb / 1024
		}
	}
	return -1
}
