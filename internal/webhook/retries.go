package webhook

import (
	"math/rand/v2"
	"time"
)

// DefaultRetries are the waits before each retry of a webhook that could
// not be delivered: quick at first, for a blip, then hours apart, for a
// receiver that is down over a weekend. 16 retries, 17 attempts, about 84
// hours (3.5 days) from the first attempt to the last.
var DefaultRetries = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
	12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 8 * time.Hour,
}

// retryWait is the wait after the attempt-th attempt failed, with ±10 %
// jitter so that the deliveries of a receiver that came back do not all
// arrive in the same second; false when no retry is left. A Retry-After
// longer than the wait (capped at the longest wait of the schedule) wins.
func retryWait(retries []time.Duration, attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if attempt < 1 || attempt > len(retries) {
		return 0, false
	}
	wait := retries[attempt-1]
	wait += time.Duration((rand.Float64()*0.2 - 0.1) * float64(wait))
	longest := time.Duration(0)
	for _, r := range retries {
		longest = max(longest, r)
	}
	if retryAfter > wait {
		wait = min(retryAfter, longest)
	}
	return wait, true
}
