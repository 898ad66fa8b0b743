package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is seven.io's gateway. openwaba serves the same API under
// its own host, e.g. http://127.0.0.1:8080/api.
const DefaultBaseURL = "https://gateway.seven.io/api"

// Version is sent in the User-Agent header.
const Version = "0.1.0"

// Client calls seven's API, at seven.io or at an openwaba gateway. It is
// safe for concurrent use.
type Client struct {
	baseURL       string
	apiKey        string
	http          *http.Client
	timeout       time.Duration
	retries       int
	minBackoff    time.Duration
	maxBackoff    time.Duration
	signingSecret string
	userAgent     string
	now           func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, proxies, TLS). The
// default is a new http.Client without a timeout of its own.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithTimeout bounds each attempt of a call (default 30s; 0 disables it).
// The caller's context bounds the call as a whole, retries included.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetries sets how often an idempotent call is retried after a network
// error, HTTP 429 or 502/503/504 (default 2). Sends are retried too: each
// carries an Idempotency-Key that stays the same across its attempts.
func WithRetries(n int) Option {
	return func(c *Client) { c.retries = max(n, 0) }
}

// WithBackoff sets the exponential backoff between retries, from min
// doubling up to max, with jitter (default 200ms to 5s). A Retry-After
// header of the server wins over it.
func WithBackoff(minDelay, maxDelay time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = minDelay, max(minDelay, maxDelay) }
}

// WithSigningSecret signs every request the way seven documents it
// (X-Signature, X-Timestamp, X-Nonce; see Sign).
func WithSigningSecret(secret string) Option { return func(c *Client) { c.signingSecret = secret } }

// WithUserAgent replaces the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithClock sets the clock used for request signatures (tests).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a client for baseURL (DefaultBaseURL when empty), without
// the trailing "/waba/messages": e.g. "https://gateway.seven.io/api" or
// "http://127.0.0.1:8080/api".
func New(baseURL, apiKey string, opts ...Option) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	c := &Client{
		baseURL: strings.TrimRight(baseURL, "/"), apiKey: apiKey,
		http: &http.Client{}, timeout: 30 * time.Second, retries: 2,
		minBackoff: 200 * time.Millisecond, maxBackoff: 5 * time.Second,
		userAgent: "openwaba-go/" + Version, now: time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the base URL the client calls.
func (c *Client) BaseURL() string { return c.baseURL }

// request describes one API call.
type request struct {
	method      string
	path        string
	query       url.Values
	body        []byte
	contentType string
	// idempotent calls may be retried; sends are made idempotent by their
	// Idempotency-Key.
	idempotent     bool
	idempotencyKey string
}

func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// do performs the call with retries and decodes a 2xx JSON answer into
// out (when not nil). Error answers become *APIError or *RateLimitError.
func (c *Client) do(ctx context.Context, r request, out any) error {
	attempts := 1
	if r.idempotent {
		attempts += c.retries
	}
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			wait := c.backoff(attempt)
			if rl, ok := errors.AsType[*RateLimitError](lastErr); ok && rl.RetryAfter > 0 {
				wait = rl.RetryAfter
				// Waiting past the caller's deadline helps no one: give
				// the caller the rate limit error and its Retry-After.
				if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
					break
				}
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s %s: %w (last error: %w)", r.method, r.path, ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		status, header, body, err := c.once(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s %s: %w", r.method, r.path, err)
			}
			lastErr = &TransportError{Err: err}
			continue
		}
		if status >= 200 && status < 300 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("%s %s: decoding response %.200q: %w", r.method, r.path, body, err)
			}
			return nil
		}
		lastErr = parseError(status, header, body)
		if !retryable(status) {
			break
		}
	}
	return fmt.Errorf("%s %s: %w", r.method, r.path, lastErr)
}

func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.minBackoff << (attempt - 1)
	if d > c.maxBackoff || d <= 0 {
		d = c.maxBackoff
	}
	if d <= 0 {
		return 0
	}
	// Full jitter in [d/2, d].
	return d/2 + mrand.N(d/2+1)
}

func (c *Client) once(ctx context.Context, r request) (int, http.Header, []byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("X-Api-Key", c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.idempotencyKey)
	}
	if c.signingSecret != "" {
		ts := strconv.FormatInt(c.now().Unix(), 10)
		nonce := newNonce()
		req.Header.Set("X-Timestamp", ts)
		req.Header.Set("X-Nonce", nonce)
		req.Header.Set("X-Signature", Sign(c.signingSecret, ts, nonce, r.method, u, r.body))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading response: %w", err)
	}
	return resp.StatusCode, resp.Header, b, nil
}

const nonceAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newNonce returns 32 random alphanumeric characters, as seven asks.
func newNonce() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	return string(b)
}

// NewIdempotencyKey returns a random key for the Idempotency-Key header.
func NewIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
