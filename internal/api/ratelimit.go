package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimitError is a request over its key's rate limit.
type rateLimitError struct {
	limit      rate.Limit
	retryAfter time.Duration
}

func (e *rateLimitError) Error() string {
	return fmt.Sprintf("rate limit exceeded: this API key may make %s requests per second; retry in %d seconds",
		strconv.FormatFloat(float64(e.limit), 'f', -1, 64), retrySeconds(e.retryAfter))
}

func retrySeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// keyLimiter holds one token bucket per API key, in this process: each
// gateway of a cluster enforces the limit for the requests it serves.
type keyLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[int64]*rate.Limiter
}

func newKeyLimiter(perSecond float64, burst int) *keyLimiter {
	if perSecond <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	return &keyLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[int64]*rate.Limiter{}}
}

// allow takes a token for the key at now, sets the X-RateLimit headers and
// returns a *rateLimitError when there is none.
func (l *keyLimiter) allow(w http.ResponseWriter, keyID int64, now time.Time) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	b, ok := l.buckets[keyID]
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[keyID] = b
	}
	allowed := b.AllowN(now, 1)
	tokens := b.TokensAt(now)
	l.mu.Unlock()

	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.burst))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, int(math.Floor(tokens)))))
	// Seconds until the bucket is full again.
	full := time.Duration((float64(l.burst) - tokens) / float64(l.limit) * float64(time.Second))
	h.Set("X-RateLimit-Reset", strconv.Itoa(int(math.Ceil(full.Seconds()))))
	if allowed {
		return nil
	}
	wait := time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	h.Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
	return &rateLimitError{limit: l.limit, retryAfter: wait}
}
