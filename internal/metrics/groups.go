package metrics

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openwaba/openwaba/internal/store/batch"
)

// GroupSizer is a store that writes requests in groups (sqlstore): the
// accepts, statuses and the like that arrive while the previous group is
// written share the next one's statements and commit.
type GroupSizer interface {
	GroupSizes() map[string]batch.Sizes
}

// groupCollector serves the store's group sizes as histograms, read from
// its counters at each scrape (no database read).
type groupCollector struct {
	store GroupSizer
	size  *prometheus.Desc
}

func newGroupCollector(s GroupSizer) *groupCollector {
	return &groupCollector{store: s, size: prometheus.NewDesc("openwaba_store_group_size",
		"Requests per group the store wrote together (accept, status, submit, delivered): under load, small groups mean more statements and commits per message.",
		[]string{"group"}, nil)}
}

func (c *groupCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.size }

func (c *groupCollector) Collect(ch chan<- prometheus.Metric) {
	sizes := c.store.GroupSizes()
	for _, name := range slices.Sorted(maps.Keys(sizes)) {
		s := sizes[name]
		buckets := make(map[float64]uint64, batch.SizeBuckets)
		for i, n := range s.Within {
			buckets[float64(batch.SizeBound(i))] = n
		}
		ch <- prometheus.MustNewConstHistogram(c.size, s.Groups, float64(s.Requests), buckets, name)
	}
}
