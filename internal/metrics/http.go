package metrics

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AcceptRoute is the route whose answers openwaba_accept_duration_seconds
// times.
const AcceptRoute = "POST /api/waba/messages"

// sniffLen is how much of a JSON answer is kept to find its seven code:
// the code comes first in every body that has one.
const sniffLen = 96

// Instrument counts the answers of next, an http.ServeMux or a handler
// that serves one with the same *http.Request (api.Server): the route is
// the pattern the mux matched (Request.Pattern), so that a path with ids
// is one series.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &sniffer{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK // nothing written: net/http answers 200
		}
		route := r.Pattern
		if route == "" {
			route = "none"
		}
		route = m.routes.value(route)
		m.responses.WithLabelValues(route, strconv.Itoa(rec.status), m.sevenCodes.value(sevenCode(rec.head))).Inc()
		if route == AcceptRoute {
			m.acceptDuration.Observe(time.Since(start).Seconds())
		}
	})
}

// sniffer records the status and the first bytes of a JSON body.
type sniffer struct {
	http.ResponseWriter
	status int
	json   bool
	head   []byte
}

func (s *sniffer) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
		s.json = strings.HasPrefix(s.Header().Get("Content-Type"), "application/json")
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *sniffer) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	if s.json && len(s.head) < sniffLen {
		s.head = append(s.head, p[:min(len(p), sniffLen-len(s.head))]...)
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *sniffer) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes flushes on (http.Flusher).
func (s *sniffer) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// The bodies that carry a seven code, which comes first in each (the
// encoder keeps the order of the fields): a bare code, a send's answer, an
// error, seven's page not found. Anchored, so that a code further in (a
// message's error_code in a listing) is not taken for the answer's.
var codePatterns = []*regexp.Regexp{
	regexp.MustCompile(`^([0-9]{3,7})$`),
	regexp.MustCompile(`^\{"success":"([0-9]{3,7})"`),
	regexp.MustCompile(`^\{(?:"success":false,)?"error_code":([0-9]{3,7})[,}]`),
	regexp.MustCompile(`^\{"code":([0-9]{3}),"message"`),
}

// sevenCode finds the seven code of an answer: a bare code (900, 902), the
// success of a send ("100", "101", "500"), the error_code of an error, or
// 404 of an unknown path; "none" for an answer without one.
func sevenCode(head []byte) string {
	head = bytes.TrimSpace(head)
	for _, re := range codePatterns {
		if m := re.FindSubmatch(head); m != nil {
			return string(m[1])
		}
	}
	return "none"
}
