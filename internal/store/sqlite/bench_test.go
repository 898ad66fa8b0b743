package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/openwaba/openwaba"
	"github.com/openwaba/openwaba/internal/store/sqlite"
)

// BenchmarkAccept measures Store.Accept alone (no HTTP) with many
// concurrent callers, with group commit (up to 256 accepts per
// transaction, one fsync each) and without it (MaxBatch 1: one transaction
// and one fsync per accept), to show what group commit buys.
func BenchmarkAccept(b *testing.B) {
	for _, maxBatch := range []int{1, 256} {
		b.Run(fmt.Sprintf("maxbatch=%d", maxBatch), func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "openwaba.db"), sqlite.Options{Logger: quiet(), MaxBatch: maxBatch})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Now().UTC()
			a, err := s.CreateAccount(ctx, openwaba.Account{Name: "bench", CreatedAt: now})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Credit(ctx, a.ID, 1e12, openwaba.ReasonTopUp); err != nil {
				b.Fatal(err)
			}
			msg := openwaba.Message{
				Sender: "4915100000001", Recipient: "4917600000001",
				Content: openwaba.Content{Type: openwaba.TypeText, Text: "hello"}, Text: "hello", Encoding: "gsm",
				Category: openwaba.CategoryService, Price: 1000, TTL: openwaba.DefaultTTL,
				CreatedAt: now, ScheduledAt: now.Add(24 * time.Hour), ExpiresAt: now.Add(24*time.Hour + openwaba.DefaultTTL),
				Status: openwaba.StatusScheduled,
			}
			b.SetParallelism(32) // 32 × GOMAXPROCS concurrent callers
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Accept(ctx, a.ID, []openwaba.Message{msg}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
