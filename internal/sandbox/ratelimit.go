package sandbox

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimits makes the sandbox refuse sends the way Meta's limits do, so
// that the gateway's pacing and retries meet real refusals. Meta documents
// 80 messages per second per number (130429 beyond) and, per business
// number and user, one message every 6 s, with bursts of up to 45 in 6 s
// borrowed from the pace that follows (131056 beyond): a token bucket of
// 45 refilled at one per 6 s.
type RateLimits struct {
	// MPS is each number's throughput; zero means no limit. The bucket
	// holds one second's worth.
	MPS int
	// PairInterval is the pace of one (number, user) pair and PairBurst
	// how many messages the pair may send at once; zero interval means no
	// pair limit.
	PairInterval time.Duration
	PairBurst    int
}

// MetaPairBurst is how many messages Meta lets a business send one user
// at once before the pair rate limit (131056) applies.
const MetaPairBurst = 45

// MetaRateLimits are the limits Meta documents for a new number.
func MetaRateLimits() RateLimits {
	return RateLimits{MPS: 80, PairInterval: 6 * time.Second, PairBurst: MetaPairBurst}
}

// limiter keeps the token buckets of RateLimits. Buckets are taken at the
// sandbox's clock, so tests with a fake clock are deterministic.
type limiter struct {
	cfg   RateLimits
	mu    sync.Mutex
	nums  map[string]*rate.Limiter    // by phone_number_id
	pairs map[windowKey]*rate.Limiter // by (phone_number_id, wa_id)
}

func newLimiter(cfg RateLimits) *limiter {
	return &limiter{cfg: cfg, nums: map[string]*rate.Limiter{}, pairs: map[windowKey]*rate.Limiter{}}
}

// allow takes one send from number phoneID to waID at now, or returns the
// code Meta would refuse it with. A send refused by the pair limit does
// not count against the number's throughput, and the other way round.
func (l *limiter) allow(phoneID, waID string, now time.Time) (int, bool) {
	if l == nil {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var num, pair *rate.Limiter
	if l.cfg.MPS > 0 {
		num = l.nums[phoneID]
		if num == nil {
			num = rate.NewLimiter(rate.Limit(l.cfg.MPS), l.cfg.MPS)
			l.nums[phoneID] = num
		}
	}
	if l.cfg.PairInterval > 0 {
		key := windowKey{phoneID, waID}
		pair = l.pairs[key]
		if pair == nil {
			pair = rate.NewLimiter(rate.Every(l.cfg.PairInterval), max(1, l.cfg.PairBurst))
			l.pairs[key] = pair
		}
	}
	// Reserve both, then give back what was taken when either refuses.
	var rn, rp *rate.Reservation
	if num != nil {
		if rn = num.ReserveN(now, 1); rn.DelayFrom(now) > 0 {
			rn.CancelAt(now)
			return 130429, false
		}
	}
	if pair != nil {
		if rp = pair.ReserveN(now, 1); rp.DelayFrom(now) > 0 {
			rp.CancelAt(now)
			if rn != nil {
				rn.CancelAt(now)
			}
			return 131056, false
		}
	}
	return 0, true
}
