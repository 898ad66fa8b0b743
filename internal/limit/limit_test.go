package limit

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// dialFrom connects to addr from the loopback address src (Linux routes
// all of 127.0.0.0/8 to lo), so that one test plays several clients.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer reports whether the peer closes c within a generous bound.
func closedByPeer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// acceptAll accepts on l until it closes and keeps the connections open.
func acceptAll(t *testing.T, l net.Listener) <-chan net.Conn {
	t.Helper()
	accepted := make(chan net.Conn, 100)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		close(accepted)
		for c := range accepted {
			c.Close()
		}
	})
	return accepted
}

func listen(t *testing.T, cfg ListenerConfig) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Listener(ln, cfg)
}

// TestPerClientConnections: a client over its share is closed at once;
// another client still gets in, and a slot given back is usable again.
func TestPerClientConnections(t *testing.T) {
	t.Parallel()
	l := listen(t, ListenerConfig{PerClient: 2})
	accepted := acceptAll(t, l)
	addr := l.Addr().String()
	dialFrom(t, "127.0.0.2", addr)
	dialFrom(t, "127.0.0.2", addr)
	first, second := <-accepted, <-accepted
	over := dialFrom(t, "127.0.0.2", addr)
	if !closedByPeer(over) {
		t.Fatal("a third connection of one client was kept open")
	}
	dialFrom(t, "127.0.0.3", addr)
	<-accepted

	first.Close()
	second.Close()
	again := dialFrom(t, "127.0.0.2", addr)
	select {
	case c := <-accepted:
		if got := clientOfAddr(c.RemoteAddr()); got != clientOfAddr(again.LocalAddr()) {
			t.Errorf("accepted %v, want the client whose slots were given back", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client's closed connections did not give their slots back")
	}
}

// TestMaxConnections: at Max, Accept waits until a connection closes, and
// Close stops the wait.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	l := listen(t, ListenerConfig{Max: 2})
	accepted := acceptAll(t, l)
	addr := l.Addr().String()
	dialFrom(t, "127.0.0.1", addr)
	dialFrom(t, "127.0.0.1", addr)
	first := <-accepted
	<-accepted
	dialFrom(t, "127.0.0.1", addr) // waits in the backlog
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted over Max")
	case <-time.After(100 * time.Millisecond):
	}
	first.Close()
	first.Close() // a second Close must not give back a second slot
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting connection was not accepted once a slot was free")
	}
	dialFrom(t, "127.0.0.1", addr)
	select {
	case <-accepted:
		t.Fatal("closing one connection twice freed two slots")
	case <-time.After(100 * time.Millisecond):
	}
}

// TestRequestsPerClient: a client with max requests in flight is answered
// 429 for the next one, other clients are not, and finished requests free
// their slot.
func TestRequestsPerClient(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	q := NewRequests(2)
	h := q.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			entered <- struct{}{}
			<-release
		}
	}))
	call := func(remote, path string) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, nil)
		req.RemoteAddr = remote
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { call("192.0.2.1:1000", "/hold") })
	}
	<-entered
	<-entered
	tests := []struct {
		remote string
		want   int
	}{
		{"192.0.2.1:2000", http.StatusTooManyRequests},
		{"192.0.2.2:1000", http.StatusOK},
		{"[2001:db8::1]:1", http.StatusOK},
	}
	for _, tc := range tests {
		if got := call(tc.remote, "/"); got != tc.want {
			t.Errorf("request from %s: %d, want %d", tc.remote, got, tc.want)
		}
	}
	close(release)
	wg.Wait()
	if got := call("192.0.2.1:3000", "/"); got != http.StatusOK {
		t.Errorf("after the held requests ended: %d, want 200", got)
	}
	if n := len(q.inFlight); n != 0 {
		t.Errorf("%d clients still counted after every request ended", n)
	}
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want string
	}{
		{"192.0.2.1:80", "192.0.2.1/32"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1/32"},
		{"[2001:db8:1:2:3:4:5:6]:80", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"nonsense", "invalid Prefix"},
	}
	for _, tc := range tests {
		if got := clientOf(tc.addr).String(); got != tc.want {
			t.Errorf("clientOf(%q) = %s, want %s", tc.addr, got, tc.want)
		}
	}
	if clientOf("[2001:db8::1]:1") != clientOf("[2001:db8::ffff]:2") {
		t.Error("two addresses of one /64 are two clients")
	}
}

func TestDefaultMaxConnections(t *testing.T) {
	t.Parallel()
	if n := DefaultMaxConnections(); n < 64 {
		t.Errorf("DefaultMaxConnections() = %d", n)
	}
}
