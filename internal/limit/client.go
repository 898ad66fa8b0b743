package limit

import (
	"net"
	"net/netip"
)

// client is the key limits count under: an IPv4 address, or an IPv6 /64,
// since one IPv6 subscriber has a whole /64 to pick addresses from.
type client = netip.Prefix

// clientOf keys an address in host:port form ("" or unparsable: the zero
// key, which all such peers share).
func clientOf(addr string) client {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return client{}
	}
	a := ap.Addr().WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(32)
	return p
}

// clientOfAddr keys a connection's peer.
func clientOfAddr(a net.Addr) client {
	if a == nil {
		return client{}
	}
	return clientOf(a.String())
}
