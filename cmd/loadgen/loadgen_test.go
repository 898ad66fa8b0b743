package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRunCountsWhatTheTargetSaw: the report's request count and answers by
// status are what the target received and answered.
func TestRunCountsWhatTheTargetSaw(t *testing.T) {
	t.Parallel()
	var n, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "k" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", r.Header)
		}
		switch n.Add(1) % 3 {
		case 0:
			bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
		case 1:
			_, _ = w.Write([]byte(`{"success":"500","messages":[]}`)) // seven: refused for the balance
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"run", "-url", srv.URL, "-key", "k", "-c", "4", "-d", "300ms"}, &out); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	m := regexp.MustCompile(`requests (\d+) in`).FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("no request count in %q", report)
	}
	got, _ := strconv.Atoi(m[1])
	// The last requests may be cut by the deadline after the target saw them.
	if int64(got) > n.Load() || n.Load()-int64(got) > 4 || got == 0 {
		t.Errorf("reported %d requests, the target saw %d", got, n.Load())
	}
	if !strings.Contains(report, "answers 400: ") || !strings.Contains(report, "answers 200 success 500: ") || !strings.Contains(report, "answers 200: ") || !strings.Contains(report, "latency p50") || strings.Contains(report, " k\n") {
		t.Errorf("report %q", report)
	}
}

// TestGraphAnswersSends: the fake Graph accepts a send with a new wamid,
// as Meta's send response has it, and everything else with success.
func TestGraphAnswersSends(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(graphHandler(0))
	defer srv.Close()
	seen := map[string]bool{}
	for range 3 {
		resp, err := http.Post(srv.URL+"/v23.0/123/messages", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Messages []struct{ ID string } `json:"messages"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || len(body.Messages) != 1 || seen[body.Messages[0].ID] {
			t.Fatalf("send answer %+v, %v", body, err)
		}
		seen[body.Messages[0].ID] = true
	}
	resp, err := http.Post(srv.URL+"/v23.0/123/media", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("other request: %d", resp.StatusCode)
	}
}
