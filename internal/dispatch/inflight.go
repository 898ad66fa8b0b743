package dispatch

import (
	"context"
	"math"
	"sync"
	"time"
)

// lanes bounds the sends in flight of each sender by Little's law: to
// keep mps messages a second going when each one holds its slot for the
// service time s (the send to WhatsApp and the record of its outcome,
// the pace's wait not counted), a sender needs mps × s slots. A lane
// allows that with half again as much headroom, at least minInFlight and
// at most the configured bound; s is the observed average of the
// sender's own sends, so a slow Graph gets more slots and a fast one
// fewer. Sends beyond the lane's limit wait their turn in order. The
// dispatcher's total bound (Config.MaxInFlight, its workers) holds
// across all lanes.
type lanes struct {
	max int // Config.MaxInFlightPerSender
	mu  sync.Mutex
	by  map[string]*lane
}

// A lane is one sender's slots.
type lane struct {
	busy    int
	mps     int           // the sender's pace as last seen
	service time.Duration // moving average of a slot's hold, pacing excluded
	waiting []chan struct{}
}

const (
	// minInFlight is the fewest slots a lane has: a sender with a low
	// pace still overlaps one send's record with the next send.
	minInFlight = 4
	// initialService is the service time assumed before a sender's sends
	// are observed: a second, so that a sender starts with a second and a
	// half of its pace in flight (bounded) and fills its first second
	// whatever the latency up to that; the average then comes down to
	// what the sends take.
	initialService = time.Second
	// serviceWeight is how much one observation moves the average (1/8,
	// as TCP's smoothed round-trip time): a few slow sends do not
	// reshape the lane, a lasting change of latency does within tens.
	serviceWeight = 8
)

func newLanes(maxPerSender int) *lanes {
	return &lanes{max: maxPerSender, by: map[string]*lane{}}
}

// limit is the lane's slots for its pace and service time.
func (l *lanes) limit(ln *lane) int {
	want := math.Ceil(float64(ln.mps) * ln.service.Seconds() * 1.5)
	return int(min(max(want, minInFlight), float64(l.max)))
}

func (l *lanes) lane(sender string) *lane {
	ln, ok := l.by[sender]
	if !ok {
		ln = &lane{service: initialService}
		l.by[sender] = ln
	}
	return ln
}

// slot is one send's place in its sender's lane, from acquire to release.
type slot struct {
	l      *lanes
	ln     *lane
	start  time.Time
	paced  time.Duration // time spent waiting for the pace, not service
	closed bool
}

// acquire takes a slot in sender's lane (at mps messages a second),
// waiting in order for one when the lane is full, or until ctx ends.
func (l *lanes) acquire(ctx context.Context, sender string, mps int) (*slot, error) {
	l.mu.Lock()
	ln := l.lane(sender)
	ln.mps = mps
	if len(ln.waiting) == 0 && ln.busy < l.limit(ln) {
		ln.busy++
		l.mu.Unlock()
		return &slot{l: l, ln: ln, start: time.Now()}, nil
	}
	ready := make(chan struct{})
	ln.waiting = append(ln.waiting, ready)
	l.mu.Unlock()
	select {
	case <-ready:
		return &slot{l: l, ln: ln, start: time.Now()}, nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, c := range ln.waiting {
		if c == ready {
			ln.waiting = append(ln.waiting[:i], ln.waiting[i+1:]...)
			return nil, ctx.Err()
		}
	}
	// The slot was handed over as ctx ended: pass it on unused.
	ln.busy--
	l.wakeLocked(ln)
	return nil, ctx.Err()
}

// release gives the slot back and counts how long it was held; safe to
// call on a nil or released slot.
func (s *slot) release() {
	if s == nil || s.closed {
		return
	}
	s.closed = true
	held := time.Since(s.start) - s.paced
	l, ln := s.l, s.ln
	l.mu.Lock()
	defer l.mu.Unlock()
	ln.busy--
	ln.service += (max(held, 0) - ln.service) / serviceWeight
	l.wakeLocked(ln)
}

// wakeLocked hands free slots to the senders' waiting sends, oldest first.
func (l *lanes) wakeLocked(ln *lane) {
	for len(ln.waiting) > 0 && ln.busy < l.limit(ln) {
		ln.busy++
		close(ln.waiting[0])
		ln.waiting = ln.waiting[1:]
	}
}

// inFlight returns, per sender, its busy slots and its limit: for tests
// and the log.
func (l *lanes) inFlight(sender string) (busy, limit int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln, ok := l.by[sender]
	if !ok {
		return 0, 0
	}
	return ln.busy, l.limit(ln)
}
