package httplog

import (
	"context"
	"errors"
)

// StatusClientClosed answers a request its client abandoned before the
// answer, as nginx logs it (499): nobody reads the answer, but the request
// line and openwaba_api_responses_total show the request as what it was
// rather than as a server failure.
const StatusClientClosed = 499

// Abandoned reports whether a handler's err is its request's context
// ending, which it does when the client goes away. That is the client's
// doing, not the server's failure: handlers answer StatusClientClosed and
// log it below error level (the API, Meta's webhook).
func Abandoned(err error) bool { return errors.Is(err, context.Canceled) }
