// Package meta is the adapter to Meta's WhatsApp Cloud API (the Graph API):
// a Client that implements openwaba.Upstream over HTTP, and the receiving
// side of Meta's webhooks (signature check, verification handshake and
// parsing into openwaba's status and inbound types).
//
// The same code talks to graph.facebook.com and to internal/sandbox, which
// is why everything Meta-specific (wire shapes, error codes) lives here and
// nowhere else.
package meta
