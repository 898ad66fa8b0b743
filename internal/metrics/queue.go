package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openwaba/openwaba"
)

// statsEvery is how long a read of the queues serves scrapes: several
// Prometheus servers scraping at once cost the database one read.
const statsEvery = time.Second

// queueCollector reads the queues' sizes from the store when scraped.
type queueCollector struct {
	store      Store
	log        *slog.Logger
	now        func() time.Time
	timeout    time.Duration
	maxSenders int
	maxHooks   int

	due, lag, pending, oldest, dead, up, took *prometheus.Desc

	mu     sync.Mutex
	readAt time.Time
	last   []prometheus.Metric
}

func newQueueCollector(cfg Config, lim Limits, log *slog.Logger) *queueCollector {
	c := &queueCollector{
		store: cfg.Store, log: log, now: cfg.Now, timeout: cfg.StatsTimeout,
		maxSenders: lim.Senders, maxHooks: lim.Hooks,
		due: prometheus.NewDesc("openwaba_dispatch_due_messages",
			"Messages due to go to WhatsApp and not handed over yet, claimed or not, per configured sender (\"other\" past the cap and for removed senders).",
			[]string{"sender"}, nil),
		lag: prometheus.NewDesc("openwaba_dispatch_lag_seconds",
			"Age of the oldest due message per sender: how late the dispatcher is with it; 0 when nothing is due.",
			[]string{"sender"}, nil),
		pending: prometheus.NewDesc("openwaba_webhook_outbox_pending",
			"Customer webhook deliveries not delivered yet (due, waiting for a retry or in flight), per hook with any (the fullest first; \"other\" past the cap).",
			[]string{"hook"}, nil),
		oldest: prometheus.NewDesc("openwaba_webhook_outbox_oldest_pending_seconds",
			"Age of the event of the oldest pending delivery, per hook with pending deliveries.",
			[]string{"hook"}, nil),
		dead: prometheus.NewDesc("openwaba_webhook_dead_letters",
			"Customer webhook deliveries given up on, waiting to be replayed (GET /api/hooks/dead), per hook with any.",
			[]string{"hook"}, nil),
		up: prometheus.NewDesc("openwaba_queue_stats_up",
			"1 when the store answered the read of the queue sizes at the last scrape, 0 when it failed (the queue series are missing then).",
			nil, nil),
		took: prometheus.NewDesc("openwaba_queue_stats_duration_seconds",
			"How long the last read of the queue sizes took.",
			nil, nil),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	return c
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.due, c.lag, c.pending, c.oldest, c.dead, c.up, c.took} {
		ch <- d
	}
}

// Collect reads the store, or serves the last read when it is younger than
// statsEvery. A scrape has no context of its own; the read has the
// collector's timeout.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil || time.Since(c.readAt) >= statsEvery {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		c.last = c.read(ctx)
		cancel()
		c.readAt = time.Now()
	}
	for _, m := range c.last {
		ch <- m
	}
}

func (c *queueCollector) read(ctx context.Context) []prometheus.Metric {
	start := time.Now()
	now := c.now()
	senders, err := c.store.Senders(ctx, 0)
	var st openwaba.QueueStats
	if err == nil {
		st, err = c.store.QueueStats(ctx, now)
	}
	took := prometheus.MustNewConstMetric(c.took, prometheus.GaugeValue, time.Since(start).Seconds())
	if err != nil {
		c.log.Warn("metrics: reading the queue sizes", "err", err)
		return []prometheus.Metric{prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0), took}
	}
	out := []prometheus.Metric{prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1), took}
	out = append(out, c.senderMetrics(senders, st.Senders, now)...)
	return append(out, c.hookMetrics(st.Hooks, now)...)
}

// senderMetrics reports every configured sender, 0 when nothing is due,
// so that a sender's series exist before its first backlog: the first
// maxSenders by number have their own, the rest and unknown senders (due
// messages of a removed one) share Other.
func (c *queueCollector) senderMetrics(configured []openwaba.Sender, due []openwaba.SenderQueue, now time.Time) []prometheus.Metric {
	type backlog struct {
		due int
		lag time.Duration
	}
	label := map[string]string{}
	byLabel := map[string]*backlog{}
	var order []string
	add := func(l string) {
		if _, ok := byLabel[l]; !ok {
			byLabel[l] = &backlog{}
			order = append(order, l)
		}
	}
	slices.SortFunc(configured, func(a, b openwaba.Sender) int { return cmp.Compare(a.Number, b.Number) })
	for i, s := range configured {
		l := s.Number
		if i >= c.maxSenders {
			l = Other
		}
		label[s.Number] = l
		add(l)
	}
	for _, q := range due {
		l, ok := label[q.Sender]
		if !ok {
			l = Other
		}
		add(l)
		b := byLabel[l]
		b.due += q.Due
		b.lag = max(b.lag, now.Sub(q.OldestDue))
	}
	out := make([]prometheus.Metric, 0, 2*len(order))
	for _, l := range order {
		b := byLabel[l]
		out = append(out,
			prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(b.due), l),
			prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, max(0, b.lag.Seconds()), l))
	}
	return out
}

// hookMetrics reports the hooks with pending or dead deliveries: the
// maxHooks fullest by their own id, the rest together as Other.
func (c *queueCollector) hookMetrics(hooks []openwaba.HookQueue, now time.Time) []prometheus.Metric {
	slices.SortFunc(hooks, func(a, b openwaba.HookQueue) int {
		return cmp.Or(cmp.Compare(b.Pending+b.Dead, a.Pending+a.Dead), cmp.Compare(a.HookID, b.HookID))
	})
	var rest *openwaba.HookQueue
	if len(hooks) > c.maxHooks {
		rest = &openwaba.HookQueue{}
		for _, h := range hooks[c.maxHooks:] {
			rest.Pending += h.Pending
			rest.Dead += h.Dead
			if !h.OldestPending.IsZero() && (rest.OldestPending.IsZero() || h.OldestPending.Before(rest.OldestPending)) {
				rest.OldestPending = h.OldestPending
			}
		}
		hooks = hooks[:c.maxHooks]
	}
	var out []prometheus.Metric
	emit := func(h openwaba.HookQueue, l string) {
		out = append(out,
			prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(h.Pending), l),
			prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(h.Dead), l))
		if h.Pending > 0 {
			// An event's time may lie ahead of this clock (another node's).
			out = append(out, prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, max(0, now.Sub(h.OldestPending).Seconds()), l))
		}
	}
	for _, h := range hooks {
		emit(h, strconv.FormatInt(h.HookID, 10))
	}
	if rest != nil {
		emit(*rest, Other)
	}
	return out
}
