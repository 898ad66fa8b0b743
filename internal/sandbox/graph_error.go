package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
)

// apiError is a Graph API error as Meta answers it.
type apiError struct {
	Code    int
	Subcode int
	Type    string // OAuthException unless set
	Message string // "(#code) Title" unless set
	Details string // error_data.details; names the offending field
	Status  int    // from httpStatus(Code) unless set
}

func (e *apiError) Error() string { return e.message() + ": " + e.Details }

func (e *apiError) message() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("(#%d) %s", e.Code, title(e.Code))
}

func (e *apiError) status() int {
	if e.Status != 0 {
		return e.Status
	}
	return httpStatus(e.Code)
}

// newError returns the error code with details naming what is wrong.
func newError(code int, format string, args ...any) *apiError {
	return &apiError{Code: code, Details: fmt.Sprintf(format, args...)}
}

// missing is Meta's answer to a required parameter left out.
func missing(field string) *apiError {
	return newError(100, "The parameter %s is required.", field)
}

// invalid is Meta's answer to a parameter of the right kind with a value
// it does not take (too long, too many, wrong format).
func invalid(field, format string, args ...any) *apiError {
	return newError(131009, "%s: %s", field, fmt.Sprintf(format, args...))
}

// errorBody is the JSON Meta answers errors with.
type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Message      string     `json:"message"`
	Type         string     `json:"type"`
	Code         int        `json:"code"`
	ErrorSubcode int        `json:"error_subcode,omitempty"`
	ErrorData    *errorData `json:"error_data,omitempty"`
	FBTraceID    string     `json:"fbtrace_id"`
}

type errorData struct {
	MessagingProduct string `json:"messaging_product"`
	Details          string `json:"details"`
}

func (e *apiError) body() errorBody {
	typ := e.Type
	if typ == "" {
		typ = "OAuthException"
	}
	b := errorBody{Error: errorObject{
		Message:      e.message(),
		Type:         typ,
		Code:         e.Code,
		ErrorSubcode: e.Subcode,
		FBTraceID:    traceID(),
	}}
	if e.Details != "" {
		b.Error.ErrorData = &errorData{MessagingProduct: "whatsapp", Details: e.Details}
	}
	return b
}

func (e *apiError) write(w http.ResponseWriter) {
	if e.Code == 190 {
		// Graph announces token problems in this header as well.
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.message()+`"`)
	}
	writeJSON(w, e.status(), e.body())
}

// titles are Meta's error titles, as its error-code table has them.
var titles = map[int]string{
	0:      "AuthException",
	1:      "API Unknown",
	2:      "API Service",
	3:      "API Method",
	4:      "API Too Many Calls",
	10:     "Permission Denied",
	33:     "Parameter value is not valid",
	100:    "Invalid parameter",
	190:    "Access token has expired",
	200:    "API Permission",
	368:    "Temporarily blocked for policies violations",
	2500:   "Unknown path components",
	80007:  "Rate limit issues",
	130429: "Rate limit hit",
	130472: "User's number is part of an experiment",
	130497: "Business account is restricted from messaging users in this country",
	131000: "Something went wrong",
	131005: "Access denied",
	131008: "Required parameter is missing",
	131009: "Parameter value is not valid",
	131016: "Service unavailable",
	131021: "Recipient cannot be sender",
	131026: "Message undeliverable",
	131031: "Business Account locked",
	131042: "Business eligibility payment issue",
	131045: "Incorrect certificate",
	131047: "Re-engagement message",
	131048: "Spam rate limit hit",
	131049: "This message was not delivered to maintain healthy ecosystem engagement",
	131050: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business",
	131051: "Unsupported message type",
	131052: "Media download error",
	131053: "Media upload error",
	131056: "(Business Account, Consumer Account) pair rate limit hit",
	131057: "Account in maintenance mode",
	131062: "Business-scoped User ID recipients are not supported for this message",
	132000: "Number of parameters does not match the expected number of params",
	132001: "Template name does not exist in the translation",
	132005: "Translated text too long",
	132007: "Template Format Character Policy Violated",
	132012: "Parameter format does not match format in the created template",
	132015: "Template is Paused",
	132016: "Template is Disabled",
	132018: "There was an issue with the parameters in your template",
	133004: "Server temporarily unavailable",
	133010: "Phone number Not Registered",
	135000: "Generic user error",
}

func title(code int) string {
	if t, ok := titles[code]; ok {
		return t
	}
	return "Error " + strconv.Itoa(code)
}

// httpStatus is the HTTP status Meta answers an error code with (Meta's
// published table). Rate limits are 400, not 429.
func httpStatus(code int) int {
	switch {
	case code == 0 || code == 190:
		return http.StatusUnauthorized
	case code == 10 || (code >= 200 && code <= 299), code == 368, code == 131031, code == 130497:
		return http.StatusForbidden
	case code == 2 || code == 133004:
		return http.StatusServiceUnavailable
	case code == 3, code == 131000, code == 131016, code == 131057, code == 131045:
		return http.StatusInternalServerError
	case code == 132001:
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}
