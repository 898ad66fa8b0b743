// Package limit bounds what clients of the gateway's HTTP listeners may
// hold: connections overall, connections per client address, and requests
// in flight per client address on the routes that need no API key (Meta's
// webhook, short links, health checks), where nothing else stops an
// anonymous client from holding the server's file descriptors and memory.
//
// A client is its IPv4 address, or the /64 of its IPv6 address (what one
// subscriber is given). The address is the connection's peer: forwarded
// headers are not trusted, as anyone can set them, so behind a proxy or
// load balancer every client is the proxy and the per-address limits must
// be raised or turned off there.
package limit
