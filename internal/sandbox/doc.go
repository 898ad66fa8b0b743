// Package sandbox is a fake of Meta's WhatsApp Cloud API (the Graph API
// endpoints the gateway uses), served over real HTTP. It checks requests
// the way Meta does (token, shapes, limits, templates, the 24-hour
// window), answers in Meta's format, and sends signed status webhooks
// (sent, delivered, read, or failed) to a configured URL, retrying until
// they are taken. Optionally it checks every request against Meta's
// OpenAPI schemas (Config.Spec) and enforces Meta's throughput and pair
// rate limits (Config.RateLimits). Users of the sandbox send messages of
// every inbound type Meta delivers (InboundMessage).
//
// New keeps everything in memory. Open keeps the status webhooks the
// sandbox owes in a file, so that a restart resumes them; what else a
// restart would forget (windows, users' messages) it asks its embedder
// for (Config.WindowSource, Config.InboundSource).
//
// It serves two purposes: the adapter's tests (internal/meta) run the real
// client against it, and the gateway can run against it as a demo or test
// upstream without a Meta account.
package sandbox
