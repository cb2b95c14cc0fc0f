package gatewaytap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// The gateway tap's dialer.
//
// discordgo v0.29.0 exposes neither the gateway round trip (HeartbeatLatency
// is a data race) nor the close code of a dropped connection. The bot
// package's SessionObserver therefore gives the session a websocket.Dialer
// of its own (NewDialer) whose connections it can read (Conn, in conn.go).
//
// For wss:// that Dialer dials with NetDialTLSContext: the tap opens TCP
// (through the proxy, see below), runs the TLS handshake with crypto/tls
// and the session dialer's TLSClientConfig (nil: defaults, so the platform's
// roots), the server name defaulting to the dialed host, and hands gorilla
// the verified *tls.Conn wrapped in a Conn, which sees the frames in
// plaintext. A session dialer with a NetDialTLSContext of its own makes the
// TLS connection instead. For ws:// the TCP connection is wrapped the same
// way. The tap neither terminates TLS nor verifies certificates itself.
//
// Proxies. gorilla/websocket v1.5.3 dials the proxy itself with
// NetDialTLSContext when both are set, and runs no TLS through the tunnel
// (client.go, DialContext; gorilla/websocket#779), so the tap Dialer has no
// Proxy. The tap asks the session dialer's Proxy itself, with a GET request
// for scheme://host:port of the gateway (gorilla's own request also carries
// the path and headers, which http.ProxyFromEnvironment does not look at),
// and opens the tunnel with gorilla's own proxy client (gwTunnel): http://
// proxies with CONNECT, socks5:// ones, credentials from the proxy URL; any
// other scheme fails as it does without the tap. TLS to the gateway then
// runs through the tunnel as above. With a NetDialTLSContext of its own, the
// session dialer's Proxy is not used for wss://: gorilla cannot combine the
// two either (#779).

// DialFunc is a context dial function, as websocket.Dialer has them.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Dial is how the session's own dialer reaches the gateway: the tap's
// dial functions open their connections with it.
type Dial struct {
	tcp   DialFunc // NetDialContext, NetDial, or a net.Dialer
	tls   DialFunc // NetDialTLSContext; nil: tcp, then crypto/tls
	proxy func(*http.Request) (*url.URL, error)
	conf  *tls.Config // TLSClientConfig; nil means crypto/tls defaults
}

// NewDial returns how orig dials; nil means websocket.DefaultDialer.
func NewDial(orig *websocket.Dialer) Dial {
	if orig == nil {
		orig = websocket.DefaultDialer
	}
	d := Dial{tls: orig.NetDialTLSContext, proxy: orig.Proxy, conf: orig.TLSClientConfig}
	switch {
	case orig.NetDialContext != nil:
		d.tcp = orig.NetDialContext
	case orig.NetDial != nil:
		nd := orig.NetDial
		d.tcp = func(_ context.Context, network, addr string) (net.Conn, error) { return nd(network, addr) }
	default:
		d.tcp = (&net.Dialer{}).DialContext
	}
	return d
}

// Plain returns a TCP connection to addr, through the proxy the session
// dialer's Proxy names for scheme://addr (scheme "http" for ws://,
// "https" for wss://), if any.
func (d Dial) Plain(ctx context.Context, scheme, network, addr string) (net.Conn, error) {
	if d.proxy != nil {
		req := (&http.Request{
			Method: http.MethodGet, URL: &url.URL{Scheme: scheme, Host: addr, Path: "/"},
			Host: addr, Header: make(http.Header),
		}).WithContext(ctx)
		pu, err := d.proxy(req)
		if err != nil {
			return nil, fmt.Errorf("proxy for gateway: %w", err)
		}
		if pu != nil {
			return gwTunnel(ctx, d.tcp, pu, addr)
		}
	}
	return d.tcp(ctx, network, addr)
}

// Secure returns a TLS connection to addr whose handshake is done.
func (d Dial) Secure(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.tls != nil {
		return d.tls(ctx, network, addr)
	}
	raw, err := d.Plain(ctx, "https", network, addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{}
	if d.conf != nil {
		cfg = d.conf.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = gwHost(addr)
	}
	c := tls.Client(raw, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		_ = raw.Close() // best effort: the handshake error is what matters
		return nil, fmt.Errorf("gateway tls handshake: %w", err)
	}
	return c, nil
}

// gwHost returns the host of a host:port address.
func gwHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// errGWTunnelUp stops gwTunnel's websocket handshake once the tunnel is up.
var errGWTunnelUp = errors.New("proxy tunnel up")

// gwTunnel returns a connection to addr through the proxy pu, made by
// gorilla's own proxy client: it starts a ws:// handshake to addr through
// pu and stops it when gorilla reports the connection (httptrace GotConn,
// right after the proxy's CONNECT or SOCKS exchange), before a byte is
// written through the tunnel.
func gwTunnel(ctx context.Context, tcp DialFunc, pu *url.URL, addr string) (net.Conn, error) {
	var c *gwTunnelConn
	d := &websocket.Dialer{
		Proxy: http.ProxyURL(pu),
		NetDialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			raw, err := tcp(ctx, network, a)
			if err != nil {
				return nil, err
			}
			c = &gwTunnelConn{Conn: raw}
			return c, nil
		},
	}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { c.up = true },
	})
	_, _, err := d.DialContext(ctx, "ws://"+addr+"/", nil)
	if c == nil || !c.up {
		return nil, fmt.Errorf("proxy %s: %w", pu.Redacted(), err)
	}
	// gorilla set the dial's deadline on the connection.
	if err := c.Conn.SetDeadline(time.Time{}); err != nil {
		_ = c.Conn.Close() // best effort: the deadline error is what matters
		return nil, fmt.Errorf("proxy %s: %w", pu.Redacted(), err)
	}
	return c.Conn, nil
}

// gwTunnelConn is the connection to the proxy while gwTunnel's handshake
// runs. Once the tunnel is up, writes fail and Close does nothing, so
// gorilla gives the connection back untouched.
type gwTunnelConn struct {
	net.Conn
	up bool // set on the dialing goroutine
}

func (c *gwTunnelConn) Write(b []byte) (int, error) {
	if c.up {
		return 0, errGWTunnelUp
	}
	return c.Conn.Write(b)
}

func (c *gwTunnelConn) Close() error {
	if c.up {
		return nil
	}
	return c.Conn.Close()
}

// NewDialer returns the tap Dialer: orig's settings (nil means
// websocket.DefaultDialer's), with dial for ws:// and dialTLS for wss://,
// and no Proxy (the dial functions apply it, through Dial). orig is never
// modified.
func NewDialer(orig *websocket.Dialer, dial, dialTLS DialFunc) *websocket.Dialer {
	if orig == nil {
		orig = websocket.DefaultDialer
	}
	return &websocket.Dialer{
		NetDialContext:    dial,
		NetDialTLSContext: dialTLS,
		HandshakeTimeout:  orig.HandshakeTimeout,
		ReadBufferSize:    orig.ReadBufferSize,
		WriteBufferSize:   orig.WriteBufferSize,
		WriteBufferPool:   orig.WriteBufferPool,
		Subprotocols:      orig.Subprotocols,
		EnableCompression: orig.EnableCompression,
		Jar:               orig.Jar,
	}
}
