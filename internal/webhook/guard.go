package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is a target that resolves to an address of the
// gateway's own network (loopback, private, link-local, ...).
var ErrPrivateAddress = errors.New("address is loopback, private or otherwise not public")

// public reports whether a is an address a webhook may go to: not in a
// block of notPublic, and for IPv6 in global unicast. A zone is dropped
// first (netip.Prefix never contains an address with one, so fe80::1%eth0
// would slip through), an IPv4-mapped address is judged as its IPv4
// address, and a NAT64 address as the IPv4 address it embeds: a
// translator would take the webhook there.
func public(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if !a.IsValid() {
		return false
	}
	if nat64.Contains(a) {
		b := a.As16()
		return public(netip.AddrFrom4([4]byte(b[12:])))
	}
	if a.Is6() && !globalUnicast.Contains(a) {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// NewClient returns the HTTP client webhooks are sent with: a timeout per
// attempt, no proxy from the environment, no redirects (a redirect is
// answered as it is, so that a hook cannot be bounced to another host),
// and, unless allowPrivate, a dialer that refuses every address that is
// not public, checked on the address actually dialled, after DNS, so that
// a name cannot resolve its way around it.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	return newClient(timeout, allowPrivate, 8)
}

// newClient is NewClient keeping up to idle connections per host open
// between requests.
func newClient(timeout time.Duration, allowPrivate bool, idle int) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook target %s: %w", address, err)
			}
			if !public(ap.Addr()) {
				return fmt.Errorf("webhook target %s: %w", address, ErrPrivateAddress)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: timeout,
			MaxIdleConnsPerHost: idle,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CheckTarget validates a hook's target URL when it is created: http or
// https with a host, and, unless allowPrivate, a host that is not a
// private address literal or a name that resolves to one. The dialer
// checks again at every delivery, since DNS can change.
func CheckTarget(ctx context.Context, raw string, allowPrivate bool, resolver *net.Resolver) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return errors.New("must be an http(s) URL with a host and without credentials")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return fmt.Errorf("%s: %w", host, ErrPrivateAddress)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !public(a) {
			return fmt.Errorf("%s: %w", host, ErrPrivateAddress)
		}
		return nil
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// Not fatal: the name may resolve later; the dialer checks then.
		return nil
	}
	for _, a := range addrs {
		if !public(a) {
			return fmt.Errorf("%s resolves to %s: %w", host, a, ErrPrivateAddress)
		}
	}
	return nil
}
