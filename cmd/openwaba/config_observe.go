package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/pflag"
)

// observeConfig is how the gateway can be watched: its log's format, who
// may read /metrics, and the opt-in profiling listener.
type observeConfig struct {
	// LogFormat is "text" (logfmt-like key=value, slog's TextHandler) or
	// "json" (one JSON object a line, slog's JSONHandler).
	LogFormat string
	// MetricsAllow are the networks GET /metrics answers on the API's
	// listener; empty turns /metrics off (404).
	MetricsAllow []netip.Prefix
	// DebugAddr is where pprof listens (/debug/pprof/); empty: nowhere.
	DebugAddr string
}

// Defaults of the observability settings.
const (
	defaultLogFormat    = "text"
	defaultMetricsAllow = "127.0.0.0/8,::1/128"
)

// observeFlags defines the log format, metrics and profiling settings, each
// bound to its OPENWABA_* variable (applyEnv). Values are checked as they
// are set, from the command line or the variable.
func observeFlags(fs *pflag.FlagSet, c *config) {
	c.LogFormat = defaultLogFormat
	fs.Var((*logFormat)(&c.LogFormat), "log-format", "text (key=value) or json (one object a line)")
	bindEnv(fs, "log-format", "OPENWABA_LOG_FORMAT")
	c.MetricsAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")} // defaultMetricsAllow
	fs.Var((*prefixList)(&c.MetricsAllow), "metrics-allow",
		"comma-separated networks (CIDR, or single addresses) that may read /metrics on the API's listener; others get 403; none turns /metrics off")
	bindEnv(fs, "metrics-allow", "OPENWABA_METRICS_ALLOW")
	fs.StringVar(&c.DebugAddr, "debug-addr", "",
		"listen address of pprof (/debug/pprof/), e.g. 127.0.0.1:6060; off when empty; never expose it")
	bindEnv(fs, "debug-addr", "OPENWABA_DEBUG_ADDR")
}

// logFormat is a flag.Value that takes text or json only.
type logFormat string

func (f *logFormat) String() string { return string(*f) }

// Type names the value in help (pflag.Value).
func (f *logFormat) Type() string { return "format" }

func (f *logFormat) Set(v string) error {
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case "text", "json":
		*f = logFormat(v)
		return nil
	}
	return fmt.Errorf("log format %q: use text or json", v)
}

// prefixList is a flag.Value of comma-separated networks: CIDR prefixes,
// or addresses taken as a network of one; "none" is the empty list.
type prefixList []netip.Prefix

// Type names the value in help (pflag.Value).
func (l *prefixList) Type() string { return "networks" }

func (l *prefixList) String() string {
	if l == nil || len(*l) == 0 {
		return "none"
	}
	s := make([]string, len(*l))
	for i, p := range *l {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (l *prefixList) Set(v string) error {
	if strings.EqualFold(strings.TrimSpace(v), "none") {
		*l = nil
		return nil
	}
	var out []netip.Prefix
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return fmt.Errorf("%q is neither a network (10.0.0.0/8) nor an address", part)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	if len(out) == 0 {
		return fmt.Errorf("no network in %q: name some, or none to turn /metrics off", v)
	}
	*l = out
	return nil
}
