package bot

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/nexusmon/nexusmon/internal/discordtest"
)

// tlsGateway is the fake Discord served over TLS by httptest, whose
// certificate is in pool and nowhere else.
type tlsGateway struct {
	fake *discordtest.Server
	srv  *httptest.Server
	pool *x509.CertPool
	wss  string
}

func newTLSGateway(t *testing.T) *tlsGateway {
	t.Helper()
	fake := discordtest.New(t, discordtest.WithHeartbeatInterval(100*time.Millisecond))
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tlsGateway{fake: fake, srv: srv, pool: pool, wss: "wss://" + srv.Listener.Addr().String() + "/ws"}
}

// sessGatewayURL answers GET /gateway with url, sending everything else to
// base: it points a session at a wss:// gateway.
type sessGatewayURL struct {
	base http.RoundTripper
	url  string
}

func (g sessGatewayURL) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/gateway") {
		return &http.Response{
			StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"url":"` + g.url + `"}`)), Request: r,
		}, nil
	}
	return g.base.RoundTrip(r)
}

// observe returns a session for the fake that dials the TLS gateway with d,
// observed, and the channel its OnFatal codes go to.
func (g *tlsGateway) observe(t *testing.T, d *websocket.Dialer) (*discordgo.Session, *SessionObserver, chan int) {
	t.Helper()
	s := g.fake.NewSession(t)
	s.Client = &http.Client{Timeout: 10 * time.Second, Transport: sessGatewayURL{base: g.fake.Transport(), url: g.wss}}
	s.Dialer = d
	fatals := make(chan int, 1)
	o, err := (*Instruments)(nil).ObserveSession(s, SessionOptions{OnFatal: func(code int, _ string) { fatals <- code }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := o.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, o, fatals
}

// measured opens s and checks that latency and a close code are measured
// over its gateway connection.
func (g *tlsGateway) measured(t *testing.T, s *discordgo.Session, o *SessionObserver, fatals chan int) {
	t.Helper()
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	sessWait(t, o, "guild and latency over TLS", func() bool {
		st := o.Snapshot()
		return st.Guilds == 1 && st.Latency >= 0
	})
	g.fake.CloseAll(4013)
	select {
	case code := <-fatals:
		if code != 4013 {
			t.Errorf("OnFatal code = %d, want 4013", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnFatal not called over TLS")
	}
	sessWait(t, o, "disconnect counted", func() bool { return o.Snapshot().Disconnects[4013] == 1 })
}

func TestObserveSession_TLS(t *testing.T) {
	t.Parallel()
	g := newTLSGateway(t)
	// ServerName comes from the dialed address (an IP address here, which
	// the httptest certificate names).
	s, o, fatals := g.observe(t, &websocket.Dialer{HandshakeTimeout: 5 * time.Second,
		TLSClientConfig: &tls.Config{RootCAs: g.pool}})
	g.measured(t, s, o, fatals)
}

// TestObserveSession_TLSRefused checks that a gateway whose certificate
// does not verify with the session dialer's TLS settings is refused by
// crypto/tls, with its own error, before anything reaches the gateway.
func TestObserveSession_TLSRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		conf  func(g *tlsGateway) *tls.Config
		check func(error) bool
	}{
		{
			name: "unknown authority",
			conf: func(*tlsGateway) *tls.Config { return &tls.Config{RootCAs: x509.NewCertPool()} },
			check: func(err error) bool {
				var ua x509.UnknownAuthorityError
				return errors.As(err, &ua)
			},
		},
		{
			// No TLSClientConfig: the platform's roots, which do not hold
			// the httptest CA (or cannot be loaded at all).
			name: "platform roots",
			conf: func(*tlsGateway) *tls.Config { return nil },
			check: func(err error) bool {
				var ua x509.UnknownAuthorityError
				var sr x509.SystemRootsError
				return errors.As(err, &ua) || errors.As(err, &sr)
			},
		},
		{
			name: "other server name",
			conf: func(g *tlsGateway) *tls.Config {
				return &tls.Config{RootCAs: g.pool, ServerName: "gateway.discord.gg"}
			},
			check: func(err error) bool {
				var he x509.HostnameError
				return errors.As(err, &he)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newTLSGateway(t)
			s, o, _ := g.observe(t, &websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: tt.conf(g)})
			err := s.Open()
			var cve *tls.CertificateVerificationError
			if !errors.As(err, &cve) || !tt.check(err) {
				t.Fatalf("Open = %v (%T), want a *tls.CertificateVerificationError of the right kind", err, err)
			}
			if got := g.fake.Connections(); got != 0 {
				t.Errorf("gateway connections = %d, want 0", got)
			}
			if st := o.Snapshot(); st.Connected || st.Latency >= 0 {
				t.Errorf("snapshot = %+v", st)
			}
		})
	}
}

// testProxy is a proxy on loopback that records the targets it tunnels to.
type testProxy struct {
	url     *url.URL
	mu      sync.Mutex
	targets []string
}

func (p *testProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// open records target and dials it.
func (p *testProxy) open(target string) (net.Conn, error) {
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.mu.Unlock()
	return net.Dial("tcp", target)
}

// relay copies between the client (read through r, which may hold
// buffered bytes) and up until either side ends.
func relay(r io.Reader, client, up net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(up, r) // ends when the client closes
		_ = up.Close()        // best effort: ends the copy below
	}()
	_, _ = io.Copy(client, up) // ends when the gateway closes
	_ = client.Close()         // best effort: ends the copy above
	<-done
}

// newConnectProxy returns an HTTP proxy that answers CONNECT only.
func newConnectProxy(t *testing.T) *testProxy {
	t.Helper()
	p := &testProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := p.open(r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
			return
		}
		relay(brw, c, up)
	}))
	t.Cleanup(srv.Close)
	p.url = &url.URL{Scheme: "http", Host: srv.Listener.Addr().String()}
	return p
}

// newSOCKS5Proxy returns a SOCKS5 proxy (RFC 1928) without authentication
// that answers CONNECT only.
func newSOCKS5Proxy(t *testing.T) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testProxy{url: &url.URL{Scheme: "socks5", Host: ln.Addr().String()}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close() // best effort: ends the accept loop
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				p.socks5(c)
			}()
		}
	}()
	return p
}

func (p *testProxy) socks5(c net.Conn) {
	br := bufio.NewReader(c)
	b := make([]byte, 255)
	// Greeting: version, method count, methods; the answer: no auth.
	if _, err := io.ReadFull(br, b[:2]); err != nil || b[0] != 5 {
		return
	}
	if _, err := io.ReadFull(br, b[:b[1]]); err != nil {
		return
	}
	if _, err := c.Write([]byte{5, 0}); err != nil {
		return
	}
	// Request: version, CONNECT, reserved, address type, address, port.
	if _, err := io.ReadFull(br, b[:4]); err != nil || b[1] != 1 {
		return
	}
	var host string
	switch b[3] {
	case 1, 4:
		n := map[byte]int{1: 4, 4: 16}[b[3]]
		if _, err := io.ReadFull(br, b[:n]); err != nil {
			return
		}
		host = net.IP(b[:n]).String()
	case 3:
		n, err := br.ReadByte()
		if err != nil {
			return
		}
		if _, err := io.ReadFull(br, b[:n]); err != nil {
			return
		}
		host = string(b[:n])
	default:
		return
	}
	if _, err := io.ReadFull(br, b[:2]); err != nil {
		return
	}
	up, err := p.open(net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(b[:2])))))
	if err != nil {
		_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // best effort: connection refused
		return
	}
	defer up.Close()
	if _, err := c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}); err != nil {
		return
	}
	relay(br, c, up)
}

// TestObserveSession_TLSProxy checks that the session dialer's proxy is
// used for wss:// and that the connection through it is measured.
// gorilla/websocket v1.5.3 cannot combine Proxy and NetDialTLSContext
// (gorilla/websocket#779), so the tap opens the tunnel itself.
func TestObserveSession_TLSProxy(t *testing.T) {
	t.Parallel()
	for name, newProxy := range map[string]func(*testing.T) *testProxy{
		"http": newConnectProxy, "socks5": newSOCKS5Proxy,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := newTLSGateway(t)
			p := newProxy(t)
			s, o, fatals := g.observe(t, &websocket.Dialer{HandshakeTimeout: 5 * time.Second,
				Proxy: http.ProxyURL(p.url), TLSClientConfig: &tls.Config{RootCAs: g.pool}})
			g.measured(t, s, o, fatals)
			if got, want := p.seen(), []string{g.srv.Listener.Addr().String()}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("proxy tunnels = %q, want %q", got, want)
			}
		})
	}
}

// TestObserveSession_OwnTLSDial checks that a session dialer's own
// NetDialTLSContext makes the TLS connection, and that it is measured.
func TestObserveSession_OwnTLSDial(t *testing.T) {
	t.Parallel()
	g := newTLSGateway(t)
	var dials atomic.Int32
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second,
		NetDialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			td := &tls.Dialer{Config: &tls.Config{RootCAs: g.pool}}
			return td.DialContext(ctx, network, addr)
		}}
	s, o, fatals := g.observe(t, d)
	g.measured(t, s, o, fatals)
	if got := dials.Load(); got != 1 {
		t.Errorf("own TLS dials = %d, want 1", got)
	}
}
