package api

import "github.com/openwaba/openwaba"

// Metrics is told what the API accepted and refused (internal/metrics
// implements it); nil counts nothing. The answers themselves are counted
// around the server (metrics.Instrument).
type Metrics interface {
	// Accepted counts messages the store committed.
	Accepted(accountID int64, msgs []openwaba.Message)
	// BalanceRefused counts n messages refused because the balance did
	// not cover their request.
	BalanceRefused(accountID int64, n int)
}

type noMetrics struct{}

func (noMetrics) Accepted(int64, []openwaba.Message) {}
func (noMetrics) BalanceRefused(int64, int)          {}

func (s *Server) metrics() Metrics {
	if s.cfg.Metrics == nil {
		return noMetrics{}
	}
	return s.cfg.Metrics
}
