package limit

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ListenerConfig bounds the connections of a Listener. Zero values do not
// limit.
type ListenerConfig struct {
	// Max is how many connections may be open at once. At the limit,
	// Accept waits for one to close, so that the process stays below its
	// open-file limit instead of failing every accept (and every other
	// file it opens: database, webhooks) with EMFILE; new clients wait in
	// the kernel's backlog meanwhile.
	Max int
	// PerClient is how many of them one client may hold; a connection
	// over it is closed as soon as it is accepted, so that one client
	// cannot take every slot of Max.
	PerClient int
	Logger    *slog.Logger
}

// Listener wraps ln with the limits of cfg.
func Listener(ln net.Listener, cfg ListenerConfig) net.Listener {
	l := &listener{Listener: ln, cfg: cfg, open: make(map[client]int), done: make(chan struct{})}
	if cfg.Max > 0 {
		l.slots = make(chan struct{}, cfg.Max)
	}
	if l.cfg.Logger == nil {
		l.cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return l
}

type listener struct {
	net.Listener
	cfg   ListenerConfig
	slots chan struct{} // one per open connection; nil without Max

	done      chan struct{} // closed by Close: Accept stops waiting for a slot
	closeOnce sync.Once

	mu   sync.Mutex
	open map[client]int // connections per client, with PerClient

	refused    atomic.Int64 // connections closed over PerClient since the last warning
	lastWarned atomic.Int64 // unix nanoseconds
}

// warnEvery bounds the warnings about refused connections: a client
// hammering the listener must not flood the log as well.
const warnEvery = time.Minute

func (l *listener) Accept() (net.Conn, error) {
	for {
		if l.slots != nil {
			select {
			case l.slots <- struct{}{}:
			case <-l.done:
				return nil, net.ErrClosed
			}
		}
		c, err := l.Listener.Accept()
		if err != nil {
			l.releaseSlot()
			return nil, err
		}
		key := clientOfAddr(c.RemoteAddr())
		if !l.admit(key) {
			c.Close()
			l.releaseSlot()
			l.warnRefused(key)
			continue
		}
		return &conn{Conn: c, release: func() { l.leave(key); l.releaseSlot() }}, nil
	}
}

func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func (l *listener) releaseSlot() {
	if l.slots != nil {
		<-l.slots
	}
}

// admit counts a new connection of key, or reports false when key holds
// PerClient already.
func (l *listener) admit(key client) bool {
	if l.cfg.PerClient <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] >= l.cfg.PerClient {
		return false
	}
	l.open[key]++
	return true
}

func (l *listener) leave(key client) {
	if l.cfg.PerClient <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

func (l *listener) warnRefused(key client) {
	n := l.refused.Add(1)
	now := time.Now().UnixNano()
	last := l.lastWarned.Load()
	if now-last < int64(warnEvery) || !l.lastWarned.CompareAndSwap(last, now) {
		return
	}
	l.refused.Add(-n)
	l.cfg.Logger.Warn("connections refused: a client holds as many as --max-connections-per-ip allows",
		"client", key.String(), "refused", n, "limit", l.cfg.PerClient)
}

// conn gives its slot back when closed, once however often it is closed.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite passes on to the TCP connection: net/http half-closes before
// closing after an error, so that the client reads the response before
// the reset.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
