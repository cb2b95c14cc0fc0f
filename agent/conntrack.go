package agent

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// connTracker dials the agent's own gateway and REST connections and can
// close them all at once. discordgo's Session.Open takes no context and
// reads the gateway's Hello without a deadline; closing its connections is
// the one way to make it return when Stop comes during a stalled handshake.
type connTracker struct {
	d      net.Dialer
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool // closeAll ran: no new connections
}

// errStopping refuses a connection asked for after closeAll.
var errStopping = errors.New("nexusmon is stopping")

func newConnTracker() *connTracker {
	return &connTracker{d: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, conns: make(map[*trackedConn]struct{})}
}

// DialContext dials like net.Dialer and remembers the connection until it
// is closed.
func (t *connTracker) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := t.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: t}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		_ = c.Close() // never handed out
		return nil, errStopping
	}
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	return tc, nil
}

// closeAll closes every open connection dialed by t, and refuses new ones.
func (t *connTracker) closeAll() {
	t.mu.Lock()
	t.closed = true
	cs := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		cs = append(cs, c)
	}
	t.mu.Unlock()
	for _, c := range cs {
		_ = c.Close() // best effort: the point is to end blocked reads
	}
}

type trackedConn struct {
	net.Conn
	t    *connTracker
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}
