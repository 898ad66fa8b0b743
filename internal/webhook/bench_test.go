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
