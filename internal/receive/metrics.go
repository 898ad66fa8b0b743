package receive

import "github.com/openwaba/openwaba"

// Metrics is told what the sink stored (internal/metrics implements it);
// nil counts nothing.
type Metrics interface {
	// StatusReport counts a status report of WhatsApp's, taken: applied,
	// or about a message the store does not know.
	StatusReport(status openwaba.Status)
	// Inbound counts a message a user wrote, stored for the first time.
	Inbound(msgType string)
}

type noMetrics struct{}

func (noMetrics) StatusReport(openwaba.Status) {}
func (noMetrics) Inbound(string)               {}

func (s *Sink) metrics() Metrics {
	if s.Metrics == nil {
		return noMetrics{}
	}
	return s.Metrics
}
