package limit

import (
	"net/http"
	"strconv"
	"sync"
)

// Requests bounds the requests one client may have in flight on the
// handlers it wraps: the routes without an API key, whose handlers read a
// body (Meta's webhook) or answer anyone. A request over the limit is
// answered 429 at once and its connection closed, so that a client
// dripping a thousand bodies holds a few handlers, not a thousand.
type Requests struct {
	max        int
	retryAfter int // seconds

	mu       sync.Mutex
	inFlight map[client]int
}

// NewRequests allows max requests in flight per client; 0 does not limit.
func NewRequests(max int) *Requests {
	return &Requests{max: max, retryAfter: 1, inFlight: make(map[client]int)}
}

// Wrap limits next; nil or a zero limit returns next as it is.
func (q *Requests) Wrap(next http.Handler) http.Handler {
	if q == nil || q.max <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := clientOf(r.RemoteAddr)
		if !q.enter(key) {
			w.Header().Set("Retry-After", strconv.Itoa(q.retryAfter))
			w.Header().Set("Connection", "close")
			http.Error(w, "too many requests in flight from your address", http.StatusTooManyRequests)
			return
		}
		defer q.leave(key)
		next.ServeHTTP(w, r)
	})
}

func (q *Requests) enter(key client) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inFlight[key] >= q.max {
		return false
	}
	q.inFlight[key]++
	return true
}

func (q *Requests) leave(key client) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inFlight[key]--; q.inFlight[key] <= 0 {
		delete(q.inFlight, key)
	}
}
