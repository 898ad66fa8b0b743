package sqlstore_test

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/sqlstore"
)

// BenchmarkAccept measures Store.Accept, the hot write path (balance check
// and debit, message, journal, queue row and ledger entry, committed
// durably), from many goroutines at once, on each engine. "one account" is
// the worst case: every request locks the same balance row. maxbatch=1 on
// SQLite shows what group commit buys (one fsync per accept).
//
// OPENWABA_BENCH_CONNS sets PostgreSQL's pool size (default 16).
func BenchmarkAccept(b *testing.B) {
	conns := 16
	if v, err := strconv.Atoi(os.Getenv("OPENWABA_BENCH_CONNS")); err == nil {
		conns = v
	}
	cases := []struct {
		name     string
		accounts int
		perReq   int
		maxBatch int
	}{
		{"one account/1 msg per request", 1, 1, 0},
		{"one account/10 msgs per request", 1, 10, 0},
		{"64 accounts/1 msg per request", 64, 1, 0},
		{"one account without group commit/1 msg per request", 1, 1, 1},
	}
	for _, e := range engines(b) {
		for _, bc := range cases {
			b.Run(e.name+"/"+bc.name, func(b *testing.B) {
				s, err := e.open(b.Context(), e.fresh(b), sqlstore.Options{Logger: quiet(), MaxConns: int32(conns), MaxBatch: bc.maxBatch})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				ids := make([]int64, bc.accounts)
				for i := range ids {
					a, err := s.CreateAccount(b.Context(), openwaba.Account{Name: fmt.Sprint("bench", i), Balance: openwaba.MaxAmount})
					if err != nil {
						b.Fatal(err)
					}
					ids[i] = a.ID
				}
				msgs := make([]openwaba.Message, bc.perReq)
				for i := range msgs {
					msgs[i] = openwaba.Message{
						Sender: "4915100000001", Recipient: "4917600000001", Price: 73_500,
						Content:  openwaba.Content{Type: openwaba.TypeText, Text: "Thanks for your message!"},
						Text:     "Thanks for your message!",
						Encoding: "gsm", Category: openwaba.CategoryService, TTL: openwaba.DefaultTTL,
					}
				}
				b.SetParallelism(16) // 16 × GOMAXPROCS concurrent callers
				var next atomic.Int64
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					account := ids[int(next.Add(1))%len(ids)]
					for pb.Next() {
						if _, err := s.Accept(b.Context(), account, msgs); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*bc.perReq)/time.Since(start).Seconds(), "msgs/s")
			})
		}
	}
}
