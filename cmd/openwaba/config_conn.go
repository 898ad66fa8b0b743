package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/openwaba/openwaba/internal/limit"
)

// connectionFlags defines the timeouts, limits and drain settings of the
// listeners: flags defaulting to their OPENWABA_* variables.
func connectionFlags(fs *pflag.FlagSet, c *config) {
	durations := []struct {
		p         *time.Duration
		name, env string
		def       time.Duration
		usage     string
	}{
		{&c.ReadHeaderTimeout, "read-header-timeout", "OPENWABA_READ_HEADER_TIMEOUT", defaultReadHeaderTimeout,
			"time a client has to send a request's headers; 0: no limit"},
		{&c.ReadTimeout, "read-timeout", "OPENWABA_READ_TIMEOUT", defaultReadTimeout,
			"time a client has to send a whole request, body included; a body dripped slower is cut; 0: no limit"},
		{&c.WriteTimeout, "write-timeout", "OPENWABA_WRITE_TIMEOUT", defaultWriteTimeout,
			"time from the end of a request's headers to the end of its response; 0: no limit"},
		{&c.IdleTimeout, "idle-timeout", "OPENWABA_IDLE_TIMEOUT", defaultIdleTimeout,
			"how long an unused keep-alive connection stays open; longer than a load balancer's own idle timeout; 0: the read timeout"},
		{&c.DrainGrace, "drain-grace", "OPENWABA_DRAIN_GRACE", defaultDrainGrace,
			"after SIGTERM, how long /healthz and /readyz answer 503 while requests are still served, before the listener closes; 0: none"},
		{&c.ShutdownTimeout, "shutdown-timeout", "OPENWABA_SHUTDOWN_TIMEOUT", defaultShutdownTimeout,
			"after the drain grace, how long requests and sends in flight have to finish"},
	}
	for _, d := range durations {
		fs.DurationVar(d.p, d.name, d.def, d.usage)
		bindEnv(fs, d.name, d.env)
	}
	ints := []struct {
		p         *int
		name, env string
		def       int
		usage     string
	}{
		{&c.MaxConnections, "max-connections", "OPENWABA_MAX_CONNECTIONS", limit.DefaultMaxConnections(),
			"open connections of each listener at once; more wait to be accepted (default: three quarters of the open-file limit)"},
		{&c.MaxConnectionsPerIP, "max-connections-per-ip", "OPENWABA_MAX_CONNECTIONS_PER_IP", defaultMaxConnectionsPerIP,
			"open connections of one client address (an IPv6 /64) to the API; more are closed at once; raise it behind a proxy"},
		{&c.MaxUnauthenticatedPerIP, "max-unauthenticated-per-ip", "OPENWABA_MAX_UNAUTHENTICATED_PER_IP", defaultMaxUnauthenticatedPerIP,
			"requests of one client address in flight on the routes without an API key (Meta's webhook, short links, health checks); more are answered 429"},
	}
	for _, n := range ints {
		fs.IntVar(n.p, n.name, n.def, n.usage+"; 0: no limit")
		bindEnv(fs, n.name, n.env)
	}
}

// checkConnectionFlags refuses negative values given as flags.
func checkConnectionFlags(c config) error {
	for _, d := range []time.Duration{c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, c.DrainGrace, c.ShutdownTimeout} {
		if d < 0 {
			return fmt.Errorf("timeouts, --drain-grace and --shutdown-timeout must not be negative")
		}
	}
	if c.MaxConnections < 0 || c.MaxConnectionsPerIP < 0 || c.MaxUnauthenticatedPerIP < 0 {
		return fmt.Errorf("--max-connections, --max-connections-per-ip and --max-unauthenticated-per-ip must not be negative")
	}
	if c.ShutdownTimeout == 0 {
		return fmt.Errorf("--shutdown-timeout must be more than 0")
	}
	return nil
}
