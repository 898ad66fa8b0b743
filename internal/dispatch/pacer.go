package dispatch

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer holds one token bucket per sender number, so that openwaba stays
// under WhatsApp's per-number throughput and never provokes 130429.
type pacer struct {
	defaultMPS int
	observe    func(time.Duration) // how long each wait took, when set
	mu         sync.Mutex
	limiters   map[string]*rate.Limiter
}

func newPacer(defaultMPS int) *pacer {
	return &pacer{defaultMPS: defaultMPS, limiters: map[string]*rate.Limiter{}}
}

// wait blocks until sender may send one more message.
func (p *pacer) wait(ctx context.Context, sender string, mps int) error {
	if mps <= 0 {
		mps = p.defaultMPS
	}
	p.mu.Lock()
	l, ok := p.limiters[sender]
	if !ok {
		l = rate.NewLimiter(rate.Limit(mps), burst(mps))
		p.limiters[sender] = l
	} else if l.Limit() != rate.Limit(mps) {
		l.SetLimit(rate.Limit(mps))
		l.SetBurst(burst(mps))
	}
	p.mu.Unlock()
	start := time.Now()
	err := l.Wait(ctx)
	if p.observe != nil {
		p.observe(time.Since(start))
	}
	return err
}

// burst is a tenth of a second's worth: enough to keep the workers busy,
// small enough that no one-second window sees more than 1.1 × the rate.
func burst(mps int) int { return max(1, mps/10) }
