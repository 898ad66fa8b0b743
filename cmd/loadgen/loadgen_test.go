package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/openwaba/openwaba/internal/meta"
	"io"
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
	// The client's own CPU, the floor of the gateway's outgoing requests.
	if !regexp.MustCompile(`client CPU \S+: \S+ per request`).MatchString(report) {
		t.Errorf("no client CPU in %q", report)
	}
}

// TestGraphAnswersSends: the fake Graph accepts a send with a new wamid,
// as Meta's send response has it, and everything else with success.
func TestGraphAnswersSends(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(graphHandler(0, nil))
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

// TestGraphReportsStatuses: with a webhook, every send the fake Graph
// answers is reported sent, delivered and read, in that order, to the
// gateway's URL, for the number it was sent to, signed as Meta signs
// (checked with the gateway's own check), batch messages to a webhook.
func TestGraphReportsStatuses(t *testing.T) {
	t.Parallel()
	type report struct{ wamid, status, to string }
	got := make(chan report, 100)
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !meta.VerifySignature("app-secret", body, r.Header.Get("X-Hub-Signature-256")) {
			t.Errorf("webhook not signed with the app secret: %s", r.Header.Get("X-Hub-Signature-256"))
		}
		var env struct {
			Entry []struct {
				Changes []struct {
					Value struct {
						Metadata struct {
							PhoneNumberID string `json:"phone_number_id"`
						} `json:"metadata"`
						Statuses []struct {
							ID, Status  string
							RecipientID string `json:"recipient_id"`
							Pricing     *struct {
								Billable bool
								Category string
							}
						} `json:"statuses"`
					} `json:"value"`
				} `json:"changes"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(body, &env); err != nil || len(env.Entry) != 1 || len(env.Entry[0].Changes) != 1 {
			t.Errorf("webhook %s: %v", body, err)
			return
		}
		v := env.Entry[0].Changes[0].Value
		if v.Metadata.PhoneNumberID != "pn-1" || len(v.Statuses) > 2 {
			t.Errorf("webhook for %q with %d statuses (batch 2)", v.Metadata.PhoneNumberID, len(v.Statuses))
		}
		for _, s := range v.Statuses {
			// Meta prices sent and delivered, not read.
			if priced := s.Pricing != nil && s.Pricing.Billable && s.Pricing.Category == "marketing"; priced != (s.Status != "read") {
				t.Errorf("report %s of %s has pricing %+v", s.Status, s.ID, s.Pricing)
			}
			got <- report{s.ID, s.Status, s.RecipientID}
		}
	}))
	defer gateway.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep := newReporter(gateway.URL, "app-secret", "pn-1", "4915112345678", 2)
	rep.run(ctx, 4)
	graph := httptest.NewServer(graphHandler(0, rep))
	defer graph.Close()
	wamids := map[string]string{}
	for i := range 5 {
		to := "4917600000" + strconv.Itoa(i)
		resp, err := http.Post(graph.URL+"/v23.0/pn-1/messages", "application/json", strings.NewReader(`{"to":"`+to+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Messages []struct{ ID string } `json:"messages"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		wamids[body.Messages[0].ID] = to
	}
	next := map[string]int{}
	order := []string{"sent", "delivered", "read"}
	for range 3 * len(wamids) {
		r := <-got
		if wamids[r.wamid] != r.to {
			t.Errorf("report %+v: not a send of ours, or to another number", r)
			continue
		}
		if i := next[r.wamid]; i >= len(order) || order[i] != r.status {
			t.Errorf("report %s of %s after %v", r.status, r.wamid, order[:min(i, len(order))])
		}
		next[r.wamid]++
	}
}
