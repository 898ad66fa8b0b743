package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// DefaultGraphURL is Meta's Graph API host.
const DefaultGraphURL = "https://graph.facebook.com"

// DefaultAPIVersion is the Graph API version the adapter was written against.
const DefaultAPIVersion = "v23.0"

// maxResponse bounds how much of a Graph response we read: real answers are
// a few KiB (a template page of 100 at most a few hundred), anything larger
// is not the Graph API.
const maxResponse = 8 << 20

// Config configures a Client.
type Config struct {
	GraphURL    string // e.g. https://graph.facebook.com; DefaultGraphURL when empty
	APIVersion  string // e.g. v23.0; DefaultAPIVersion when empty
	AccessToken string
	HTTPClient  *http.Client // NewHTTPClient(DefaultMaxConns) when nil
	Logger      *slog.Logger // discards when nil
}

// DefaultMaxConns is the connection pool of NewClient's own HTTP client:
// as many as the dispatcher's sends in flight by default
// (dispatch.DefaultMaxInFlight).
const DefaultMaxConns = 1024

// NewHTTPClient returns an HTTP client for the Graph API with a pool of
// maxConns connections, all kept open between requests: the dispatcher
// has up to its MaxInFlight sends on the wire at once, and with net/http's
// default of 2 idle connections per host every send beyond two would open
// (and TLS-handshake) a connection of its own and close it after.
// MaxConnsPerHost caps the sockets at the same bound. The 30 s timeout:
// never the zero http.Client, one hung connection would hold a send's
// slot forever.
func NewHTTPClient(maxConns int) *http.Client {
	maxConns = max(maxConns, 1)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxConns
	t.MaxIdleConnsPerHost = maxConns
	t.MaxConnsPerHost = maxConns
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// Client talks to the WhatsApp Cloud API. It is safe for concurrent use.
type Client struct {
	base  string // GraphURL + "/" + APIVersion, without trailing slash
	graph string // GraphURL without trailing slash
	token string
	http  *http.Client
	log   *slog.Logger
}

var _ openwaba.Upstream = (*Client)(nil)

// NewClient returns a Client for cfg.
func NewClient(cfg Config) *Client {
	graph := strings.TrimRight(cfg.GraphURL, "/")
	if graph == "" {
		graph = DefaultGraphURL
	}
	version := strings.Trim(cfg.APIVersion, "/")
	if version == "" {
		version = DefaultAPIVersion
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = NewHTTPClient(DefaultMaxConns)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		base:  graph + "/" + version,
		graph: graph,
		token: cfg.AccessToken,
		http:  hc,
		log:   log.With("component", "meta"),
	}
}

// endpoint returns the URL of an edge of a Graph node.
func (c *Client) endpoint(node, edge string) string {
	return c.base + "/" + node + "/" + edge
}

// do sends one Graph request with the bearer token and decodes a 2xx
// answer into out. Every failure comes back as (a wrap of) an
// *openwaba.UpstreamError, so callers classify in one place: here.
func (c *Client) do(ctx context.Context, op, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// Send the text as the user typed it; Meta does not need <>&
		// escaped and the escapes only make the bodies harder to read.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			return fmt.Errorf("meta: %s: encode request: %w", op, err)
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("meta: %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "openwaba")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.WarnContext(ctx, "graph request failed", "op", op, "err", err)
		return fmt.Errorf("meta: %s: %w", op, transportError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		c.log.WarnContext(ctx, "reading graph response failed", "op", op, "status", resp.StatusCode, "err", err)
		return fmt.Errorf("meta: %s: %w", op, transportError(err))
	}
	c.log.DebugContext(ctx, "graph request", "op", op, "method", method, "status", resp.StatusCode, "took", time.Since(start))

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ue := responseError(resp, raw)
		c.log.DebugContext(ctx, "graph error", "op", op, "status", resp.StatusCode, "code", ue.Code,
			"title", ue.Title, "details", ue.Details, "fbtrace_id", fbTraceID(raw))
		return fmt.Errorf("meta: %s: %w", op, ue)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("meta: %s: %w", op, unexpectedResponse(resp.StatusCode, err.Error()))
		}
	}
	return nil
}
