package meta_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/openwaba/openwaba/internal/meta"
)

// TestHTTPClientPoolMatchesTheBound: the Graph client keeps up to maxConns
// requests on the wire at once, never more, and keeps those connections
// open for the next round instead of opening new ones (net/http's default
// keeps 2 idle per host).
func TestHTTPClientPoolMatchesTheBound(t *testing.T) {
	t.Parallel()
	const maxConns = 8
	var opened atomic.Int32
	var mu sync.Mutex
	active, most := 0, 0
	arrived := make(chan struct{}, 4*maxConns) // never full: no handler waits on it
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		active++
		most = max(most, active)
		mu.Unlock()
		arrived <- struct{}{}
		<-release
		mu.Lock()
		active--
		mu.Unlock()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	hc := meta.NewHTTPClient(maxConns)

	round := func(n int) {
		t.Helper()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				resp, err := hc.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
		}
		// The first maxConns arrive together; the rest wait for a socket.
		for range min(n, maxConns) {
			<-arrived
		}
		for range n {
			release <- struct{}{}
		}
		wg.Wait()
	}
	round(maxConns)
	round(maxConns)
	if n := opened.Load(); n != maxConns {
		t.Errorf("two rounds of %d requests at once opened %d connections, want %d (kept open and reused)", maxConns, n, maxConns)
	}
	round(2 * maxConns)
	if most != maxConns {
		t.Errorf("at most %d requests on the wire at once, want the bound %d", most, maxConns)
	}
	if n := opened.Load(); n != maxConns {
		t.Errorf("%d connections opened in all, want %d: more requests than the bound wait for a pooled one", n, maxConns)
	}
}
