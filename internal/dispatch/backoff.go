package dispatch

import (
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with jitter for temporary upstream errors.
// The total time is bounded twice: by MaxAttempts, and by the message's
// validity (ttl), after which it expires instead.
type Backoff struct {
	Base        time.Duration // first delay (1 s)
	Max         time.Duration // longest delay (5 min)
	MaxAttempts int           // attempts before the message fails (20)
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = time.Second
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Minute
	}
	if b.MaxAttempts <= 0 {
		b.MaxAttempts = 20
	}
	return b
}

// Delay is the wait before attempt n+1 after n attempts: Base·2^(n-1),
// capped at Max, with ±20 % jitter so that many messages failing together
// do not come back together.
func (b Backoff) Delay(attempts int) time.Duration {
	d := b.Base
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}
