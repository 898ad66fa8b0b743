package dispatch_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/meta"
)

// BenchmarkInFlight measures what the dispatcher sends per second when
// WhatsApp answers after a round trip (the fake Graph's latency, the
// knob), against a real SQLite store and the Meta adapter over loopback
// HTTP, in real time: the queue is filled with messages due now, then a
// dispatcher runs until every one is recorded as taken. It reports the
// sends per second over the full seconds of the run (from the first send;
// the last, partial second left out), the slowest of those seconds, and
// the process's CPU time per message (store, dispatcher and the fake
// Graph together: they share the process). See docs/performance.md for
// the figures and for how to compare with 32 sends in flight
// (maxInFlight=32: the old fixed pool, with net/http's default pool of 2
// idle connections).
//
//	go test -run '^$' -bench InFlight -benchtime 1x ./internal/dispatch
func BenchmarkInFlight(b *testing.B) {
	for _, bc := range []struct {
		senders, mps, perSender int
		latency                 time.Duration
		maxInFlight             int // 0: the default
	}{
		{1, 1000, 5000, 50 * time.Millisecond, 0},
		{1, 1000, 5000, 200 * time.Millisecond, 0},
		{10, 1000, 2000, 0, 0},
		{10, 1000, 1000, 50 * time.Millisecond, 0},
		{1, 1000, 1000, 200 * time.Millisecond, 32},
		{10, 1000, 1000, 50 * time.Millisecond, 32},
	} {
		name := fmt.Sprintf("senders=%d/mps=%d/latency=%v", bc.senders, bc.mps, bc.latency)
		if bc.maxInFlight > 0 {
			name += fmt.Sprintf("/maxInFlight=%d", bc.maxInFlight)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				benchInFlight(b, bc.senders, bc.mps, bc.perSender, bc.latency, bc.maxInFlight)
			}
		})
	}
}

func benchInFlight(b *testing.B, senders, mps, perSender int, latency time.Duration, maxInFlight int) {
	srv := httptest.NewServer(fakeGraph(latency))
	defer srv.Close()
	e := newEnv(b, nil, mps)
	hc := e.asGateway(srv.URL)
	defer hc.CloseIdleConnections()
	if maxInFlight > 0 {
		e.cfg.MaxInFlight, e.cfg.MaxInFlightPerSender = maxInFlight, maxInFlight
		hc = &http.Client{Timeout: 30 * time.Second} // the pool before: 2 idle connections
		e.up.Upstream = meta.NewClient(meta.Config{GraphURL: srv.URL, AccessToken: testToken, HTTPClient: hc})
	}
	numbers := []string{testSender}
	for i := 1; i < senders; i++ {
		number := fmt.Sprintf("49151100000%02d", i)
		err := e.store.PutSender(b.Context(), openwaba.Sender{Number: number, AccountID: e.account.ID, PhoneNumberID: fmt.Sprintf("1000000000001%02d", i), WABAID: testWABAID, MPS: mps})
		if err != nil {
			b.Fatal(err)
		}
		numbers = append(numbers, number)
	}
	total := senders * perSender
	if _, err := e.store.Credit(b.Context(), e.account.ID, openwaba.Micros(total)*price, openwaba.ReasonTopUp); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	batch := make([]openwaba.Message, 0, 1000)
	for i := range total {
		m := template(i, now, openwaba.DefaultTTL)
		m.Sender = numbers[i%len(numbers)]
		if batch = append(batch, m); len(batch) == cap(batch) || i == total-1 {
			e.accept(batch...)
			batch = batch[:0]
		}
	}
	cpu0 := cpuTime()
	e.start()
	deadline := time.Now().Add(5 * time.Minute)
	for len(e.up.records()) < total {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d sent after 5 minutes", len(e.up.records()), total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.halt() // lets the sends in flight be recorded
	cpu := cpuTime() - cpu0

	recs := e.up.records()
	first := recs[0].at
	for _, r := range recs {
		if !r.ok {
			b.Fatalf("send of message %d failed", r.msg.ID)
		}
		if r.at.Before(first) {
			first = r.at
		}
	}
	perSecond := map[int]int{}
	last := 0
	for _, r := range recs {
		k := int(r.at.Sub(first) / time.Second)
		perSecond[k]++
		last = max(last, k)
	}
	if last == 0 {
		b.Fatalf("all %d sends within the first second: give it more messages", total)
	}
	sum, slowest := 0, total
	for k := range last { // the last second is partial
		sum += perSecond[k]
		slowest = min(slowest, perSecond[k])
	}
	seconds := make([]int, last+1)
	for k := range seconds {
		seconds[k] = perSecond[k]
	}
	b.Logf("sends per second from the first: %v", seconds)
	b.ReportMetric(float64(sum)/float64(last), "sends/s")
	b.ReportMetric(float64(slowest), "slowest-second")
	b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/msg")
}

// fakeGraph answers every send with a new wamid after latency, as
// cmd/loadgen's fake Graph does.
func fakeGraph(latency time.Duration) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if latency > 0 {
			time.Sleep(latency)
		}
		w.Header().Set("Content-Type", "application/json")
		id := "wamid.bench" + strconv.FormatInt(n.Add(1), 10)
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":%q}]}`, id)
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
