// Package conntrack dials connections that can all be closed at once: the
// agent's own Discord session (gateway and REST) dials through a Tracker, so
// that Stop can end a handshake discordgo would otherwise wait on forever.
// It imports the standard library only.
package conntrack

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// Tracker dials the agent's own gateway and REST connections and can
// close them all at once. discordgo's Session.Open takes no context and
// reads the gateway's Hello without a deadline; closing its connections is
// the one way to make it return when Stop comes during a stalled handshake.
type Tracker struct {
	d      net.Dialer
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool // CloseAll ran: no new connections
}

// errStopping refuses a connection asked for after CloseAll.
var errStopping = errors.New("nexusmon is stopping")

// New returns a Tracker that dials like net.Dialer with 30 s timeouts.
func New() *Tracker {
	return &Tracker{d: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, conns: make(map[*trackedConn]struct{})}
}

// DialContext dials like net.Dialer and remembers the connection until it
// is closed.
func (t *Tracker) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
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

// CloseAll closes every open connection dialed by t, and refuses new ones.
func (t *Tracker) CloseAll() {
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
	t    *Tracker
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
