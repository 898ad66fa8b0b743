package dispatch

import (
	"time"

	"github.com/openwaba/openwaba"
)

// Metrics is told what the dispatcher does (internal/metrics implements
// it); nil counts nothing.
type Metrics interface {
	// Sent counts one send to WhatsApp by outcome (see sendOutcome) and
	// Meta's error code (0: none).
	Sent(outcome string, metaCode int)
	// PacingWait is how long one send waited for its sender's pace.
	PacingWait(d time.Duration)
	// SenderLeases is how many senders this node holds (Config.Node).
	SenderLeases(n int)
	// InFlight moves the count of sends holding a slot of their sender's
	// lane (being paced, sent or recorded) by delta.
	InFlight(delta int)
}

type noMetrics struct{}

func (noMetrics) Sent(string, int)         {}
func (noMetrics) PacingWait(time.Duration) {}
func (noMetrics) SenderLeases(int)         {}
func (noMetrics) InFlight(int)             {}

func (d *Dispatcher) metrics() Metrics {
	if d.cfg.Metrics == nil {
		return noMetrics{}
	}
	return d.cfg.Metrics
}

// Outcomes of a send, for Metrics.Sent.
const (
	SendOK            = "ok"             // WhatsApp took the message
	SendRetryable     = "retryable"      // a temporary refusal (rate limits, Meta's outages)
	SendRefused       = "refused"        // a final refusal of the message
	SendSenderBlocked = "sender_blocked" // the sender's access token was refused
	SendNetwork       = "network"        // no answer from WhatsApp: the network, a timeout
)

// sendOutcome classifies the result of Upstream.Send for Metrics.Sent.
func sendOutcome(err error) (string, int) {
	if err == nil {
		return SendOK, 0
	}
	ue, ok := openwaba.AsUpstreamError(err)
	switch {
	case !ok:
		return SendNetwork, 0
	case ue.SenderBlocked:
		return SendSenderBlocked, ue.Code
	case ue.HTTPStatus == 0 && ue.Code == 0:
		// No answer: a transport error of the Meta adapter.
		return SendNetwork, 0
	case ue.Retryable:
		return SendRetryable, ue.Code
	}
	return SendRefused, ue.Code
}
