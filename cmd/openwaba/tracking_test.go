package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestPerformanceTracking: with performance_tracking, the URL of a text
// is sent as a short link of the gateway; following it redirects to the
// URL, counts a click (or a link preview's view), reports it to the
// tracking hook, and shows in the analytics.
func TestPerformanceTracking(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	recv := newHookReceiver(t)
	if r := g.do("POST", "/api/hooks", `{"target_url":"`+recv.URL+`","event_type":"tracking","request_method":"JSON"}`); r.Status != 200 {
		t.Fatalf("create hook: %s", r.Body)
	}
	g.openWindow(testUser)
	resp := g.send(`{"from":"4915112345678","to":"` + testUser + `","text":"Sale: https://shop.example/sale?x=1.","label":"blackfriday","performance_tracking":true}`)
	msg := resp["messages"].([]any)[0].(map[string]any)
	text := msg["text"].(string)
	m := regexp.MustCompile(`^Sale: (http://127\.0\.0\.1:\d+/s/([A-Za-z0-9]{8}))\.$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("text as sent = %q, want the URL replaced by a short link", text)
	}
	short := m[1]
	id := msg["id"].(string)
	g.waitStatus(id, "read")
	var sawShort bool
	for _, s := range g.sandbox.Sent() {
		if strings.Contains(string(s.Body), short) && !strings.Contains(string(s.Body), "shop.example") {
			sawShort = true
		}
	}
	if !sawShort {
		t.Error("WhatsApp did not get the short link (or got the long one too)")
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	follow := func(url, ua string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("User-Agent", ua)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := follow(short, "WhatsApp/2.24.1 A"); r.StatusCode != 302 || r.Header.Get("Location") != "https://shop.example/sale?x=1" {
		t.Fatalf("preview: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := follow(short, "Mozilla/5.0 (iPhone) Safari/604.1"); r.StatusCode != 302 || r.Header.Get("Location") != "https://shop.example/sale?x=1" {
		t.Fatalf("click: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := follow(g.BaseURL+"/s/Unknwn23", "Mozilla/5.0"); r.StatusCode != 404 {
		t.Errorf("unknown code: %d", r.StatusCode)
	}
	if r := follow(g.BaseURL+"/s/bad", "Mozilla/5.0"); r.StatusCode != 404 {
		t.Errorf("malformed code: %d", r.StatusCode)
	}

	got := recv.wait(t, 2)
	recv.mu.Lock()
	last := recv.got[1]["data"].(map[string]any)
	recv.mu.Unlock()
	recv.mu.Lock()
	first := recv.got[0]["data"].(map[string]any)
	recv.mu.Unlock()
	if len(got) != 2 || first["type"] != "view" || first["total_views"] != 1.0 || first["total_clicks"] != 0.0 {
		t.Errorf("first tracking webhook %v (events %v)", first, got)
	}
	if last["final_url"] != "https://shop.example/sale?x=1" || last["sms_id"] != id || last["sms_label"] != "blackfriday" ||
		last["total_clicks"] != 1.0 || last["total_views"] != 1.0 || last["tracking_url"] != short || last["type"] != "click" {
		t.Errorf("tracking webhook %v", last)
	}

	r := g.do("GET", "/api/analytics?group_by=label&label=blackfriday", "")
	var rows []map[string]any
	if err := json.Unmarshal(r.Body, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("analytics: %d %s", r.Status, r.Body)
	}
	row := rows[0]
	if row["label"] != "blackfriday" || row["messages"] != 1.0 || row["sent"] != 1.0 || row["clicks"] != 1.0 || row["views"] != 1.0 {
		t.Errorf("analytics row %v", row)
	}
	if r := g.do("GET", "/api/analytics?group_by=week", ""); r.Status != 400 || !strings.Contains(string(r.Body), "group_by") {
		t.Errorf("bad group_by: %d %s", r.Status, r.Body)
	}
}
