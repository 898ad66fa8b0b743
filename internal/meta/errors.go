package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openwaba/openwaba"
)

// class is what the gateway does about a Meta error code.
type class struct {
	retryable     bool
	perRecipient  bool
	senderBlocked bool
}

// classes is the one table that turns Meta's error codes into decisions.
// It is keyed by code, not HTTP status: Meta answers rate limits with 400
// and some permanent errors with 500, so the status says little. Codes not
// listed are permanent: retrying an invalid message only burns quota.
var classes = map[int]class{
	// Auth failed / token expired: no message of this sender can succeed
	// until an operator fixes the credentials.
	0:   {senderBlocked: true},
	190: {senderBlocked: true},

	// API unknown: Meta advises one retry at most; the dispatcher's
	// attempt limit and backoff keep it from becoming a loop.
	1: {retryable: true},
	// Service temporarily unavailable.
	2:      {retryable: true},
	133004: {retryable: true},
	// Application- and WABA-level Graph rate limits.
	4:     {retryable: true},
	80007: {retryable: true},
	// Throughput (messages per second) of the number exceeded.
	130429: {retryable: true},
	// Pair rate limit: too many messages to this one user; others may go on.
	131056: {retryable: true, perRecipient: true},
	// Something went wrong / service unavailable / account in maintenance.
	131000: {retryable: true},
	131016: {retryable: true},
	131057: {retryable: true},
}

// graphError is Meta's error body.
type graphError struct {
	Error *struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         *int   `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		ErrorData    struct {
			Details string `json:"details"`
		} `json:"error_data"`
		ErrorUserMsg string `json:"error_user_msg"`
		FBTraceID    string `json:"fbtrace_id"`
	} `json:"error"`
}

// responseError turns a non-2xx answer into a classified UpstreamError.
func responseError(resp *http.Response, raw []byte) *openwaba.UpstreamError {
	ue := &openwaba.UpstreamError{
		HTTPStatus: resp.StatusCode,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	var ge graphError
	if err := json.Unmarshal(raw, &ge); err != nil || ge.Error == nil || ge.Error.Code == nil {
		// Not Meta speaking (a proxy's error page, a load balancer): only
		// the status is left to go by. Overload and server errors pass.
		ue.Title = fmt.Sprintf("unexpected HTTP %d from the Graph API", resp.StatusCode)
		ue.Details = snippet(raw)
		ue.Retryable = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return ue
	}
	e := ge.Error
	ue.Code = *e.Code
	ue.Title = stripCode(e.Message, ue.Code)
	ue.Details = e.ErrorData.Details
	if ue.Details == "" {
		ue.Details = e.ErrorUserMsg
	}
	c := classes[ue.Code]
	ue.Retryable, ue.PerRecipient, ue.SenderBlocked = c.retryable, c.perRecipient, c.senderBlocked
	return ue
}

// stripCode removes the "(#131047) " prefix Meta puts in front of its
// messages: UpstreamError.Error adds the code itself.
func stripCode(msg string, code int) string {
	return strings.TrimSpace(strings.TrimPrefix(msg, "(#"+strconv.Itoa(code)+")"))
}

// retryAfter reads a Retry-After header given in seconds or as an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// transportError classifies a failure to get any answer. It is retryable,
// even though for a send that timed out Meta may have delivered the
// message: the Cloud API has no idempotency key, so a rare duplicate is
// the price of not losing messages. The cause stays in the chain so that
// callers can still tell their own context's cancellation apart.
func transportError(err error) error {
	title := "network error calling the Graph API"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		title = "timeout calling the Graph API"
	}
	ue := &openwaba.UpstreamError{Title: title, Retryable: true}
	return fmt.Errorf("%w: %w", ue, err)
}

// unexpectedResponse is a 2xx answer we cannot read. It is permanent: for
// a send, Meta has most likely accepted the message, and retrying would
// send it twice.
func unexpectedResponse(status int, details string) *openwaba.UpstreamError {
	return &openwaba.UpstreamError{
		HTTPStatus: status,
		Title:      "unexpected response from the Graph API",
		Details:    details,
	}
}

// fbTraceID digs Meta's trace id out of an error body for the logs: Meta
// support asks for it.
func fbTraceID(raw []byte) string {
	var ge graphError
	if json.Unmarshal(raw, &ge) != nil || ge.Error == nil {
		return ""
	}
	return ge.Error.FBTraceID
}

// snippet returns the start of a body for an error message.
func snippet(raw []byte) string {
	const max = 200
	s := strings.TrimSpace(string(raw))
	if len(s) > max {
		// Cut on a rune boundary so the message stays valid UTF-8.
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
