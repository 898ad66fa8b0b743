package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openwaba/openwaba/internal/httplog"
)

// TestAbandonedRequestIsNoServerError: a request whose client went away
// (its context cancelled) is answered 499 and logged below error level; any
// other failure is still a 500 and an error in the log.
func TestAbandonedRequestIsNoServerError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		err      error
		status   int
		errorLog bool
	}{
		{"client gone", fmt.Errorf("storing messages: %w", context.Canceled), httplog.StatusClientClosed, false},
		{"store broken", errors.New("disk I/O error"), http.StatusInternalServerError, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))}
			w := httptest.NewRecorder()
			s.writeError(w, tc.err, false)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if got := strings.Contains(log.String(), "level=ERROR"); got != tc.errorLog {
				t.Errorf("error logged: %v, want %v (log %q)", got, tc.errorLog, log.String())
			}
		})
	}
}
