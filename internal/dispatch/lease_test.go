package dispatch_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/openwaba/openwaba"
)

// TestClaimsOutlivingTheLease: a node that needs longer than a lease for
// what it claimed, because WhatsApp answers slowly or the sender's pace is
// slow, still sends every message once. Its leases are renewed while it
// works on the messages, so neither its own next claim nor another node
// takes them again; and it claims no more than its workers can start.
func TestClaimsOutlivingTheLease(t *testing.T) {
	t.Parallel()
	const (
		total   = 300
		workers = 32
	)
	tests := []struct {
		name  string
		delay time.Duration // per send, under the HTTP client's 30 s timeout
		mps   int           // the sender's pace; 0 for the default (80/s)
		nodes int
		lease time.Duration // 0 for the default (2 minutes)
	}{
		{"slow upstream", 20 * time.Second, 0, 1, 0},
		{"slow pace", 0, 2, 1, 0},
		{"slow pace and upstream", 10 * time.Second, 2, 1, 0},
		{"slow upstream, two nodes", 20 * time.Second, 0, 2, 0},
		// Only the renewals keep a lease shorter than one send.
		{"lease shorter than a send", 20 * time.Second, 0, 2, 15 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, nil, tc.mps)
				e.up.Upstream = &fakeUpstream{delay: tc.delay}
				fs := &faultyStore{Store: e.store}
				e.cfg.Store, e.cfg.Lease, e.cfg.MaxInFlight = fs, tc.lease, workers
				now := time.Now()
				batch := make([]openwaba.Message, total)
				for i := range batch {
					batch[i] = template(i, now, openwaba.DefaultTTL)
				}
				msgs := e.accept(batch...)
				for range tc.nodes {
					e.start()
				}

				// All is sent within 300 × 20 s / 32 workers or 300 / 2 mps
				// (200 s, 150 s); the old duplicates came after the first
				// lease ran out. Then wait as long again.
				time.Sleep(10 * time.Minute)
				e.halt()
				checkSentOnce(t, e, msgs, func(int) bool { return true })
				if fs.maxClaim > workers {
					t.Errorf("a claim asked for %d messages, more than the %d workers can start", fs.maxClaim, workers)
				}
			})
		})
	}
}
