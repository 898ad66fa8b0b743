package metrics

import "sync"

// capped bounds the values of one label: the first max distinct values
// are kept, in the order they come; every later one is Other. A restart
// may keep others: the cap bounds the series, it does not choose them.
type capped struct {
	max int

	mu   sync.RWMutex
	seen map[string]struct{}
}

func newCapped(max int) *capped { return &capped{max: max, seen: map[string]struct{}{}} }

// value is v, or Other once max other values were seen.
func (c *capped) value(v string) string {
	c.mu.RLock()
	_, ok := c.seen[v]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[v]; ok {
		return v
	}
	if len(c.seen) >= c.max {
		return Other
	}
	c.seen[v] = struct{}{}
	return v
}
