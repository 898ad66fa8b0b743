package main

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// TestDrainAnswers503BeforeClosing: after the signal to stop, /healthz
// and /readyz answer 503 for the drain grace while the listener is still
// open and other requests are served; then it closes.
func TestDrainAnswers503BeforeClosing(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t, func(c *config) { c.DrainGrace = 3 * time.Second })
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	get := func(path string) (int, error) {
		req, err := http.NewRequest("GET", g.BaseURL+path, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("X-Api-Key", testKey)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, err := get(path); status != 200 {
			t.Fatalf("GET %s before the drain: %d %v", path, status, err)
		}
	}

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		g.stop()
	}()
	// Within the grace: the health checks say 503 on new connections, and
	// the API still answers.
	deadline := time.Now().Add(2 * time.Second)
	for {
		status, err := get("/healthz")
		if err != nil {
			t.Fatalf("GET /healthz while draining: %v (the listener closed with the drain)", err)
		}
		if status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz while draining: %d, want 503", status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for path, want := range map[string]int{"/readyz": 503, "/api/balance": 200} {
		if status, err := get(path); status != want {
			t.Errorf("GET %s while draining: %d %v, want %d", path, status, err, want)
		}
	}

	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not stop after the drain grace")
	}
	if c, err := net.DialTimeout("tcp", g.Addr, 5*time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after the shutdown")
	}
}
