package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// seven's codes.
const (
	CodeSuccess        = 100
	CodePartialSuccess = 101
	CodeBadRequest     = 400
	CodeNotFound       = 404
	CodeInsufficient   = 500
	CodeAuthFailed     = 900
	CodeNoScope        = 902
	CodeNotInWindow    = 7002001
)

// Sentinel errors; an *APIError matches the one of its code with errors.Is.
var (
	// ErrUnauthorized: code 900, the API key is missing, wrong or revoked.
	ErrUnauthorized = errors.New("authentication failed (900)")
	// ErrForbidden: code 902, the key lacks the scope for this endpoint.
	ErrForbidden = errors.New("API key lacks the scope for this endpoint (902)")
	// ErrNotFound: 404, e.g. an unknown message id.
	ErrNotFound = errors.New("not found (404)")
	// ErrBadRequest: 400, a field the API refused.
	ErrBadRequest = errors.New("bad request (400)")
	// ErrNotInConversation: 7002001, freetext outside the 24-hour window.
	ErrNotInConversation = errors.New("not in conversation (7002001)")
	// ErrInsufficientBalance: 500 in a message entry.
	ErrInsufficientBalance = errors.New("insufficient balance (500)")
	// ErrRateLimited: HTTP 429.
	ErrRateLimited = errors.New("rate limited (429)")
)

// APIError is an answer of the API that is not a success: an HTTP error
// (Status is its HTTP status) or a refused message entry (Status 200).
type APIError struct {
	Status  int    // HTTP status
	Code    int    // seven's code: 400, 404, 900, 902, 7002001, ...
	Message string // seven's error text, when it sent one
	Body    string // the raw body, for diagnostics
}

func (e *APIError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("seven API error %d: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("seven API error %d (HTTP %d)", e.Code, e.Status)
}

// Is matches the sentinel of the error's code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Code == CodeAuthFailed
	case ErrForbidden:
		return e.Code == CodeNoScope
	case ErrNotFound:
		return e.Code == CodeNotFound || e.Status == http.StatusNotFound
	case ErrBadRequest:
		return e.Code == CodeBadRequest
	case ErrNotInConversation:
		return e.Code == CodeNotInWindow
	case ErrInsufficientBalance:
		return e.Code == CodeInsufficient && e.Status == http.StatusOK
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// RateLimitError is HTTP 429. RetryAfter is the server's Retry-After (zero
// when it sent none); Limit, Remaining and Reset come from X-RateLimit-*.
type RateLimitError struct {
	APIError
	RetryAfter time.Duration
	Limit      int
	Remaining  int
	Reset      time.Time
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("seven API rate limit (HTTP 429), retry after %s", e.RetryAfter)
}

// Unwrap exposes the embedded *APIError.
func (e *RateLimitError) Unwrap() error { return &e.APIError }

// TransportError is a failure to reach the API or read its answer.
type TransportError struct{ Err error }

func (e *TransportError) Error() string { return "seven API unreachable: " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// parseError reads the error answers seven's API gives: a bare code (900,
// 902), {"error_code":..,"error_message":..} (with or without success),
// {"code":404,"message":..}.
func parseError(status int, h http.Header, body []byte) error {
	e := APIError{Status: status, Code: status, Body: string(body)}
	trimmed := strings.TrimSpace(string(body))
	if n, err := strconv.Atoi(trimmed); err == nil {
		e.Code = n
	} else {
		var m struct {
			ErrorCode    json.RawMessage `json:"error_code"`
			ErrorMessage string          `json:"error_message"`
			Code         json.RawMessage `json:"code"`
			Message      string          `json:"message"`
		}
		if json.Unmarshal(body, &m) == nil {
			for _, raw := range []json.RawMessage{m.ErrorCode, m.Code} {
				if n, ok := rawInt(raw); ok {
					e.Code = n
					break
				}
			}
			e.Message = m.ErrorMessage
			if e.Message == "" {
				e.Message = m.Message
			}
		} else if trimmed != "" && len(trimmed) < 200 {
			e.Message = trimmed
		}
	}
	if status != http.StatusTooManyRequests {
		return &e
	}
	rl := &RateLimitError{APIError: e}
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			rl.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(s); err == nil {
			rl.RetryAfter = max(time.Until(t), 0)
		}
	}
	rl.Limit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
	rl.Remaining, _ = strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	// X-RateLimit-Reset: a Unix time, or seconds from now.
	if n, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		if n > 1_000_000_000 {
			rl.Reset = time.Unix(n, 0)
		} else {
			rl.Reset = time.Now().Add(time.Duration(n) * time.Second)
		}
	}
	return rl
}

// rawInt reads a JSON number or a string of digits.
func rawInt(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.Atoi(s); err == nil {
			return n, true
		}
	}
	return 0, false
}
