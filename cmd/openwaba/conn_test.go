package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// rawConn connects to the gateway from the loopback address src (Linux
// routes all of 127.0.0.0/8 to lo), so that a test plays several clients.
func rawConn(t *testing.T, g *testGateway, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes a whole request on c and reads its response: the
// status, or an error when the server closed the connection instead.
func roundTrip(c net.Conn, br *bufio.Reader, method, path, body string) (int, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", method, path, len(body), body)
	if _, err := io.WriteString(c, req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// closedWithin reports whether the server closes c within d (a generous
// bound: only whether it was closed at all decides).
func closedWithin(c net.Conn, br *bufio.Reader, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// drip starts a POST to /webhooks/meta whose body of n bytes comes a
// byte every interval, until the server stops reading or the test ends.
func drip(t *testing.T, c net.Conn, n int, every time.Duration) {
	t.Helper()
	head := fmt.Sprintf("POST /webhooks/meta HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: %d\r\n\r\n", n)
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for range n {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
}

// TestConnectionTimeouts: idle keep-alive connections, connections that
// never send a request and bodies dripped a byte at a time are closed
// after their timeout, not held for good.
func TestConnectionTimeouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config func(*config)
		hold   func(t *testing.T, c net.Conn, br *bufio.Reader)
	}{
		{"idle keep-alive connection", func(c *config) { c.IdleTimeout = 200 * time.Millisecond }, func(t *testing.T, c net.Conn, br *bufio.Reader) {
			if status, err := roundTrip(c, br, "GET", "/healthz", ""); err != nil || status != 200 {
				t.Fatalf("GET /healthz: %d %v", status, err)
			}
		}},
		{"connection without a request", func(c *config) { c.ReadHeaderTimeout = 200 * time.Millisecond }, func(t *testing.T, c net.Conn, br *bufio.Reader) {
			io.WriteString(c, "GET /healthz HTTP/1.1\r\n") // and never the rest
		}},
		{"body dripped to Meta's webhook", func(c *config) { c.ReadTimeout = 500 * time.Millisecond }, func(t *testing.T, c net.Conn, br *bufio.Reader) {
			drip(t, c, 10000, 20*time.Millisecond)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startTestGateway(t, tc.config)
			c := rawConn(t, g, "127.0.0.1")
			br := bufio.NewReader(c)
			tc.hold(t, c, br)
			if !closedWithin(c, br, 20*time.Second) {
				t.Fatal("the connection was still open after 20 s")
			}
		})
	}
}

// TestHeldConnectionsLeaveRoomForMeta: one client holding many idle
// connections keeps only its share, and one dripping many bodies to the
// webhook endpoint is answered 429 past its share of requests in flight;
// Meta's webhook, from another address, is still answered meanwhile.
func TestHeldConnectionsLeaveRoomForMeta(t *testing.T) {
	t.Parallel()
	const perIP, unauthenticated, held = 20, 5, 60
	g := startTestGateway(t, func(c *config) {
		c.MaxConnectionsPerIP, c.MaxUnauthenticatedPerIP = perIP, unauthenticated
	})
	metaAnswers := func(t *testing.T) {
		t.Helper()
		c := rawConn(t, g, "127.0.0.1")
		status, err := roundTrip(c, bufio.NewReader(c), "POST", "/webhooks/meta", `{"object":"whatsapp_business_account","entry":[]}`)
		if err != nil || status == http.StatusTooManyRequests {
			t.Fatalf("Meta's webhook from another address: %d %v", status, err)
		}
	}

	t.Run("idle connections", func(t *testing.T) {
		t.Parallel()
		conns := make([]net.Conn, held)
		for i := range conns {
			conns[i] = rawConn(t, g, "127.0.0.2")
		}
		metaAnswers(t)
		open := 0
		for _, c := range conns {
			if status, err := roundTrip(c, bufio.NewReader(c), "GET", "/healthz", ""); err == nil && status == 200 {
				open++
			}
		}
		if open > perIP {
			t.Errorf("%d of %d connections of one client served, want at most %d", open, held, perIP)
		}
		if open == 0 {
			t.Error("no connection of the client served at all")
		}
	})

	t.Run("dripped bodies", func(t *testing.T) {
		t.Parallel()
		for range unauthenticated {
			drip(t, rawConn(t, g, "127.0.0.3"), 10000, 100*time.Millisecond)
		}
		// The held requests count once the server has read their headers;
		// until then a probe is served, so probe until one is refused.
		deadline := time.Now().Add(20 * time.Second)
		for {
			c := rawConn(t, g, "127.0.0.3")
			status, err := roundTrip(c, bufio.NewReader(c), "POST", "/webhooks/meta", `{}`)
			c.Close()
			if err == nil && status == http.StatusTooManyRequests {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no 429 for one client with %d bodies in flight: last answer %d %v", unauthenticated, status, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		metaAnswers(t)
		if r := g.do("GET", "/api/balance", ""); r.Status != 200 {
			t.Errorf("an API request: %d %s", r.Status, r.Body)
		}
	})
}
