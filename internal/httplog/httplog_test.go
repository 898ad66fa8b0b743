package httplog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a log destination for concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records parses the JSON lines logged.
func (b *lockedBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		path     string
		incoming string
		keep     bool // the incoming id is used
		level    string
		status   float64
	}{
		{"no id", "/api/thing/7", "", false, "INFO", 201},
		{"sane id", "/api/thing/7", "3f2a9c1e-7b4d-4e8a-9c1f-0a1b2c3d4e5f", true, "INFO", 201},
		{"id with spaces", "/api/thing/7", "forged id=1", false, "INFO", 201},
		{"id too long", "/api/thing/7", strings.Repeat("a", 65), false, "INFO", 201},
		{"server error", "/boom", "", false, "WARN", 500},
		{"health check", "/healthz", "", false, "DEBUG", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf lockedBuffer
			log := slog.New(NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
			mux := http.NewServeMux()
			var inHandler string
			mux.HandleFunc("POST /api/thing/{id}", func(w http.ResponseWriter, r *http.Request) {
				inHandler = RequestID(r.Context())
				log.InfoContext(r.Context(), "working")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte("made"))
			})
			mux.HandleFunc("POST /boom", func(w http.ResponseWriter, r *http.Request) {
				inHandler = RequestID(r.Context())
				log.InfoContext(r.Context(), "working")
				http.Error(w, "boom", http.StatusInternalServerError)
			})
			mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
				inHandler = RequestID(r.Context())
				log.InfoContext(r.Context(), "working")
			})
			method := "POST"
			if tc.path == "/healthz" {
				method = "GET"
			}
			req := httptest.NewRequest(method, tc.path+"?p=secret-key", nil)
			if tc.incoming != "" {
				req.Header.Set(Header, tc.incoming)
			}
			rec := httptest.NewRecorder()
			Middleware(log, mux).ServeHTTP(rec, req)

			id := rec.Header().Get(Header)
			if tc.keep && id != tc.incoming {
				t.Errorf("id %q, want the client's %q", id, tc.incoming)
			}
			if !tc.keep && (id == tc.incoming || !saneID(id) || len(id) < 16) {
				t.Errorf("id %q, want a new random one", id)
			}
			if inHandler != id {
				t.Errorf("the handler's context has id %q, the response %q", inHandler, id)
			}
			recs := buf.records(t)
			if len(recs) != 2 {
				t.Fatalf("%d log records, want the handler's and the request's: %v", len(recs), recs)
			}
			if recs[0]["msg"] != "working" || recs[0]["request_id"] != id {
				t.Errorf("the handler's record %v, want request_id %s", recs[0], id)
			}
			got := recs[1]
			if got["msg"] != "request" || got["request_id"] != id || got["level"] != tc.level || got["status"] != tc.status || got["path"] != tc.path {
				t.Errorf("request record %v, want request_id %s, level %s, status %v, path %s", got, id, tc.level, tc.status, tc.path)
			}
			if strings.Contains(buf.buf.String(), "secret-key") {
				t.Error("the query string was logged")
			}
		})
	}
}

// TestMiddlewareRoute: the route is the pattern the mux matched.
func TestMiddlewareRoute(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/waba/messages/{id}", func(w http.ResponseWriter, r *http.Request) {})
	Middleware(log, mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/waba/messages/42", nil))
	recs := buf.records(t)
	if len(recs) != 1 || recs[0]["route"] != "GET /api/waba/messages/{id}" || recs[0]["bytes"] != float64(0) {
		t.Errorf("records %v", recs)
	}
}
