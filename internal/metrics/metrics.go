// Package metrics is the gateway's Prometheus instrumentation: one registry
// per gateway (never the global default one: tests run several gateways in
// one process), the series the API, the dispatcher, the webhook deliverer
// and Meta's webhook feed through small hooks, the queue sizes read from
// the store at each scrape, and the /metrics handler.
//
// Every label is bounded. Values that come from configuration or from
// outside (accounts, senders, hooks, Meta's error codes, inbound message
// types) are capped: past a fixed number of distinct values, the rest are
// counted under "other" (see Limits). The series and their cardinality are
// listed in docs/operations.md.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openwaba/openwaba"
)

// Other is the label value of everything past a label's cap.
const Other = "other"

// Store is what the metrics read of the gateway's store at a scrape.
type Store interface {
	openwaba.StatsStore
	// Senders lists the configured senders (0: of every account).
	Senders(ctx context.Context, accountID int64) ([]openwaba.Sender, error)
}

// Limits caps the distinct values of the labels that are not fixed sets;
// zero fields get the defaults named beside them.
type Limits struct {
	Accounts   int // account ids (100)
	Senders    int // configured sender numbers, in number order (100)
	Hooks      int // hooks with pending or dead deliveries, the fullest first (50)
	MetaCodes  int // Meta error codes (64)
	Types      int // message and inbound message types (32)
	SevenCodes int // seven codes of API answers (32)
	Routes     int // API routes (64; the routes are a fixed set)
	Statuses   int // statuses of WhatsApp's reports (16)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Accounts, 100)
	def(&l.Senders, 100)
	def(&l.Hooks, 50)
	def(&l.MetaCodes, 64)
	def(&l.Types, 32)
	def(&l.SevenCodes, 32)
	def(&l.Routes, 64)
	def(&l.Statuses, 16)
	return l
}

// Config holds what the metrics need.
type Config struct {
	// Store, when set, is read at each scrape (at most once a second) for
	// the due backlog per sender and the outbox per hook.
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// Version is reported by openwaba_build_info.
	Version string
	Limits  Limits
	// StatsTimeout bounds the store's read at a scrape (5 s).
	StatsTimeout time.Duration
}

// Metrics is one gateway's registry and series. Its methods are the hooks
// of the packages it instruments (api.Metrics, dispatch.Metrics,
// webhook.Metrics, receive.Metrics); all are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	accepted       *prometheus.CounterVec
	balanceRefused *prometheus.CounterVec
	responses      *prometheus.CounterVec
	acceptDuration prometheus.Histogram
	sends          *prometheus.CounterVec
	pacingWait     prometheus.Histogram
	senderLeases   prometheus.Gauge
	inFlight       prometheus.Gauge
	statusReports  *prometheus.CounterVec
	inbound        *prometheus.CounterVec
	deliveries     *prometheus.CounterVec

	accounts, metaCodes, types, inboundTypes, sevenCodes, routes, statuses *capped
}

// New builds the registry, with Go's runtime and the process's collectors.
func New(cfg Config) *Metrics {
	lim := cfg.Limits.withDefaults()
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: cfg.Logger,

		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwaba_messages_accepted_total",
			Help: "Messages accepted through POST /api/waba/messages (stored, debited, queued), by account and message type.",
		}, []string{"account", "type"}),
		balanceRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwaba_messages_balance_refused_total",
			Help: "Messages refused because the account's balance did not cover the request (seven code 500), by account.",
		}, []string{"account"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwaba_api_responses_total",
			Help: "API answers by route (the mux pattern; \"/\" for unknown paths), HTTP status and seven code (the body's success or error_code; \"none\" when it has none).",
		}, []string{"route", "code", "seven_code"}),
		acceptDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "openwaba_accept_duration_seconds",
			Help:    "Time to answer POST /api/waba/messages, from the request's headers to the end of the answer: validation, pricing and the durable commit.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwaba_upstream_sends_total",
			Help: "Sends to WhatsApp (Meta's Cloud API, or the sandbox) by outcome (ok, retryable, refused, sender_blocked, network) and Meta error code (0: none).",
		}, []string{"outcome", "code"}),
		pacingWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "openwaba_dispatch_pacing_wait_seconds",
			Help:    "Time a send waited for its sender's pace (messages per second) before going out.",
			Buckets: []float64{.0001, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		senderLeases: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "openwaba_dispatch_sender_leases",
			Help: "Senders this node holds the lease of, with several nodes on one PostgreSQL database; 0 on a single node, which paces every sender without leases.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "openwaba_dispatch_sends_in_flight",
			Help: "Sends this node holds a slot of their sender's lane for: being paced, sent to WhatsApp or recorded (bounded by --dispatch-max-in-flight).",
		}),
		statusReports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwaba_status_reports_total",
			Help: "Status reports received from WhatsApp through Meta's webhook and taken (applied, or about an unknown message), by status.",
		}, []string{"status"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwaba_inbound_messages_total",
			Help: "Messages users wrote, received through Meta's webhook and stored for the first time, by type.",
		}, []string{"type"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwaba_webhook_deliveries_total",
			Help: "Attempts to deliver customers' webhooks, by event and outcome (delivered, retry, dead: out of retries, refused: an answer not worth retrying, dead-lettered at once, held: not sent, its receiver failing; retried later).",
		}, []string{"event", "outcome"}),

		accounts:     newCapped(lim.Accounts),
		metaCodes:    newCapped(lim.MetaCodes),
		types:        newCapped(lim.Types),
		inboundTypes: newCapped(lim.Types),
		sevenCodes:   newCapped(lim.SevenCodes),
		routes:       newCapped(lim.Routes),
		statuses:     newCapped(lim.Statuses),
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "openwaba_build_info",
		Help: "Always 1: the gateway's version and Go version.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(cfg.Version, runtime.Version()).Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build,
		m.accepted, m.balanceRefused, m.responses, m.acceptDuration, m.sends, m.pacingWait,
		m.senderLeases, m.inFlight, m.statusReports, m.inbound, m.deliveries,
	)
	if cfg.Store != nil {
		m.reg.MustRegister(newQueueCollector(cfg, lim, m.log))
	}
	if g, ok := cfg.Store.(GroupSizer); ok {
		m.reg.MustRegister(newGroupCollector(g))
	}
	return m
}

// Registry is the gateway's registry, to gather from in tests or to add
// collectors to.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus's text (or OpenMetrics) format
// to clients whose address is in allow, and 403 to any other. The client is
// the TCP peer: X-Forwarded-For is not trusted.
func (m *Metrics) Handler(allow []netip.Prefix) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		Registry:          m.reg,
		EnableOpenMetrics: true,
		Timeout:           30 * time.Second,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Allowed(allow, r.RemoteAddr) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("forbidden: /metrics answers the networks of --metrics-allow only\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Allowed reports whether the address of remoteAddr ("host:port", as in
// http.Request.RemoteAddr) is in one of the prefixes.
func Allowed(allow []netip.Prefix, remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	var addr netip.Addr
	if err == nil {
		addr = ap.Addr()
	} else if addr, err = netip.ParseAddr(remoteAddr); err != nil {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Loopback is the default of --metrics-allow.
var Loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Accepted counts messages the store committed (api.Metrics).
func (m *Metrics) Accepted(accountID int64, msgs []openwaba.Message) {
	account := m.accounts.value(strconv.FormatInt(accountID, 10))
	byType := map[openwaba.MessageType]int{}
	for _, msg := range msgs {
		byType[msg.Content.Type]++
	}
	for t, n := range byType {
		m.accepted.WithLabelValues(account, m.types.value(string(t))).Add(float64(n))
	}
}

// BalanceRefused counts n messages refused for the balance (api.Metrics).
func (m *Metrics) BalanceRefused(accountID int64, n int) {
	m.balanceRefused.WithLabelValues(m.accounts.value(strconv.FormatInt(accountID, 10))).Add(float64(n))
}

// Sent counts one send to WhatsApp (dispatch.Metrics).
func (m *Metrics) Sent(outcome string, metaCode int) {
	m.sends.WithLabelValues(outcome, m.metaCodes.value(strconv.Itoa(metaCode))).Inc()
}

// PacingWait observes how long a send waited for its pace (dispatch.Metrics).
func (m *Metrics) PacingWait(d time.Duration) { m.pacingWait.Observe(d.Seconds()) }

// SenderLeases sets how many senders this node holds (dispatch.Metrics).
func (m *Metrics) SenderLeases(n int) { m.senderLeases.Set(float64(n)) }

// InFlight moves the sends in flight by delta (dispatch.Metrics).
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// StatusReport counts one status report stored (receive.Metrics).
func (m *Metrics) StatusReport(status openwaba.Status) {
	m.statusReports.WithLabelValues(m.statuses.value(string(status))).Inc()
}

// Inbound counts one inbound message stored (receive.Metrics).
func (m *Metrics) Inbound(msgType string) {
	m.inbound.WithLabelValues(m.inboundTypes.value(msgType)).Inc()
}

// Delivery counts one attempt at a customer's webhook (webhook.Metrics).
func (m *Metrics) Delivery(event openwaba.HookEvent, outcome string) {
	m.deliveries.WithLabelValues(string(event), outcome).Inc()
}
