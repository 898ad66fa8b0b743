package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/webhook"
)

// BenchmarkDeliver measures webhook deliveries per second from the SQLite
// outbox to a local receiver: claim, render, sign, POST, record. Each
// event belongs to its own message, so none waits for another.
func BenchmarkDeliver(b *testing.B) {
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer recv.Close()
	e := newBenchEnv(b)
	if _, err := e.store.CreateHook(context.Background(), openwaba.Hook{AccountID: e.account.ID, TargetURL: recv.URL, EventType: openwaba.HookTracking, RequestMethod: "JSON"}); err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"final_url":"https://example.com/product","sms_id":"1","total_clicks":1}`)
	for i := range b.N {
		if err := e.store.EnqueueEvent(context.Background(), e.account.ID, openwaba.HookTracking, ourNumber, int64(i+1), data, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	d := webhook.New(webhook.Config{
		Store: e.store, AllowPrivate: true, Workers: 32, Poll: 10 * time.Millisecond,
		Secret: func(context.Context, int64) (string, error) { return secret, nil },
	})
	ctx, cancel := context.WithCancel(context.Background())
	b.ResetTimer()
	start := time.Now()
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}

// BenchmarkDeliverBesideDeadReceiver measures one account's deliveries per
// second while another account's receiver never answers (a black hole:
// each attempt waits out the 500 ms timeout), one dead event per ten live
// ones, interleaved. "held" is the gateway as it runs (circuits);
// "unheld" turns them off, to show what they are for.
func BenchmarkDeliverBesideDeadReceiver(b *testing.B) {
	for _, c := range []struct {
		name      string
		holdAfter int
	}{{"held", 0}, {"unheld", -1}} {
		b.Run(c.name, func(b *testing.B) {
			var got atomic.Int64
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
			defer recv.Close()
			hole := newBlackHole(b)
			e := newBenchEnv(b)
			ctx := context.Background()
			other, err := e.store.CreateAccount(ctx, openwaba.Account{Name: "dead receiver", CreatedAt: time.Now()})
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range []openwaba.Hook{
				{AccountID: e.account.ID, TargetURL: recv.URL, EventType: openwaba.HookTracking, RequestMethod: "JSON"},
				{AccountID: other.ID, TargetURL: "http://" + hole.ln.Addr().String() + "/hook", EventType: openwaba.HookTracking, RequestMethod: "JSON"},
			} {
				if _, err := e.store.CreateHook(ctx, h); err != nil {
					b.Fatal(err)
				}
			}
			data := []byte(`{"final_url":"https://example.com/product","sms_id":"1","total_clicks":1}`)
			for i := range b.N {
				if i%10 == 0 {
					if err := e.store.EnqueueEvent(ctx, other.ID, openwaba.HookTracking, ourNumber, int64(i+1), data, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				if err := e.store.EnqueueEvent(ctx, e.account.ID, openwaba.HookTracking, ourNumber, int64(i+1), data, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			d := webhook.New(webhook.Config{
				Store: e.store, AllowPrivate: true, Workers: 32, Poll: 10 * time.Millisecond, Timeout: 500 * time.Millisecond,
				HoldAfter: c.holdAfter,
				Secret:    func(context.Context, int64) (string, error) { return secret, nil },
			})
			runCtx, cancel := context.WithCancel(ctx)
			b.ResetTimer()
			start := time.Now()
			done := make(chan struct{})
			go func() { d.Run(runCtx); close(done) }()
			for got.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			<-done
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
		})
	}
}
