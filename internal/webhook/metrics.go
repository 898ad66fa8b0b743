package webhook

import "github.com/openwaba/openwaba"

// Metrics is told the outcome of each delivery attempt (internal/metrics
// implements it); nil counts nothing.
type Metrics interface {
	Delivery(event openwaba.HookEvent, outcome string)
}

// Outcomes of an attempt, for Metrics.Delivery.
const (
	OutcomeDelivered = "delivered" // the receiver answered 2xx
	OutcomeRetry     = "retry"     // not delivered; tried again later
	OutcomeDead      = "dead"      // not delivered and out of retries: dead-lettered
	OutcomeRefused   = "refused"   // an answer not worth retrying (a 4xx, a redirect): dead-lettered at once
	OutcomeHeld      = "held"      // not sent, its receiver failing (circuits); tried again later
)

type noMetrics struct{}

func (noMetrics) Delivery(openwaba.HookEvent, string) {}

func (d *Deliverer) metrics() Metrics {
	if d.cfg.Metrics == nil {
		return noMetrics{}
	}
	return d.cfg.Metrics
}
