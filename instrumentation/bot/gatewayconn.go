package bot

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The gateway tap.
//
// discordgo v0.29.0 exposes neither the gateway round trip (HeartbeatLatency
// is a data race) nor the close code of a dropped connection. The
// SessionObserver therefore gives the session a websocket.Dialer of its own
// whose connections it can read: gwConn parses the websocket frames the
// session writes (heartbeats, op 1) and reads (heartbeat ACKs, op 11, and
// close frames with their code).
//
// gorilla/websocket v1.4.2 runs TLS for wss:// URLs on top of the connection
// the dial function returns, so a plain wrapper would see only ciphertext on
// Discord's real gateway. When the first bytes gorilla writes are a TLS
// ClientHello, gwConn terminates that TLS in process (over a net.Pipe, with
// a throw-away certificate that the tap Dialer's TLS config pins) and opens
// the real TLS connection upstream itself, verified with the session
// Dialer's own TLS settings. The frames are then parsed in plaintext between
// the two. A plain ws:// upgrade ("GET ...") is parsed directly; an HTTP
// proxy's CONNECT passes through and the decision is taken on what follows;
// anything else (a SOCKS proxy, for instance) passes through unmeasured.

// gwMaxInspect bounds the payload the parser keeps of one frame: heartbeats,
// ACKs and close frames are far smaller; larger frames are skipped unread.
const gwMaxInspect = 256

// gwMaxHTTP bounds the HTTP header block (upgrade request or response) the
// parser skips before the frames start.
const gwMaxHTTP = 64 << 10

// Websocket opcodes (RFC 6455 §5.2).
const (
	gwOpContinuation = 0x0
	gwOpText         = 0x1
	gwOpBinary       = 0x2
	gwOpClose        = 0x8
)

// gwStream states.
const (
	gwStateHTTP = iota
	gwStateHeader
	gwStatePayload
	gwStateBroken
)

// gwStream parses one direction of a websocket connection incrementally:
// first the HTTP header block of the upgrade, then frames, whatever way
// they are split across Read or Write calls. It never fails loudly: input it
// cannot follow (a header block that is too long, a length that makes no
// sense) stops the parsing for good, and measurements stay unknown.
type gwStream struct {
	state   int
	tail    uint32 // last four bytes of the HTTP header block
	httpLen int

	hdr  [14]byte
	hdrN int

	op      byte
	fin     bool
	keep    bool
	masked  bool
	mask    [4]byte
	left    uint64
	payload []byte

	// messages counts the complete data messages (text or binary, including
	// fragmented ones) seen so far.
	messages int
	// onFrame receives every kept frame: final, uncompressed text or close
	// frames of at most gwMaxInspect bytes, unmasked. payload is only valid
	// during the call. Returning true stops feed right after the frame.
	onFrame func(op byte, payload []byte, messagesBefore int) (stop bool)
}

// feed parses b and returns how many bytes it consumed: all of them, unless
// onFrame asked to stop, in which case the frame that stopped it ends at
// the last consumed byte.
func (p *gwStream) feed(b []byte) int {
	total := len(b)
	for len(b) > 0 {
		switch p.state {
		case gwStateHTTP:
			i := 0
			for ; i < len(b); i++ {
				p.tail = p.tail<<8 | uint32(b[i])
				p.httpLen++
				if p.tail == 0x0d0a0d0a { // "\r\n\r\n"
					p.state = gwStateHeader
					i++
					break
				}
			}
			b = b[i:]
			if p.state == gwStateHTTP && p.httpLen > gwMaxHTTP {
				p.state = gwStateBroken
			}
		case gwStateHeader:
			var stop bool
			if b, stop = p.header(b); stop {
				return total - len(b)
			}
		case gwStatePayload:
			k := min(p.left, uint64(len(b)))
			if p.keep {
				p.payload = append(p.payload, b[:k]...)
			}
			p.left -= k
			b = b[k:]
			if p.left == 0 && p.finish() {
				return total - len(b)
			}
		default:
			return total
		}
	}
	return total
}

// header collects the bytes of a frame header from b and returns the rest,
// and whether onFrame asked to stop (for an empty frame).
func (p *gwStream) header(b []byte) ([]byte, bool) {
	need := 2
	if p.hdrN >= 2 {
		need = gwHeaderLen(p.hdr[0], p.hdr[1])
	}
	for len(b) > 0 && p.hdrN < need {
		p.hdr[p.hdrN] = b[0]
		p.hdrN++
		b = b[1:]
		if p.hdrN == 2 {
			need = gwHeaderLen(p.hdr[0], p.hdr[1])
		}
	}
	if p.hdrN < need {
		return b, false
	}
	b0, b1 := p.hdr[0], p.hdr[1]
	p.op = b0 & 0x0f
	p.fin = b0&0x80 != 0
	rsv := b0&0x70 != 0 // compressed (permessage-deflate) or unknown extension
	p.masked = b1&0x80 != 0
	n := uint64(b1 & 0x7f)
	pos := 2
	switch n {
	case 126:
		n = uint64(binary.BigEndian.Uint16(p.hdr[2:4]))
		pos = 4
	case 127:
		n = binary.BigEndian.Uint64(p.hdr[2:10])
		pos = 10
		if n>>63 != 0 {
			p.state = gwStateBroken
			return nil, false
		}
	}
	if p.masked {
		copy(p.mask[:], p.hdr[pos:pos+4])
	}
	p.hdrN = 0
	p.left = n
	p.keep = p.fin && !rsv && (p.op == gwOpText || p.op == gwOpClose) && n <= gwMaxInspect
	p.payload = p.payload[:0]
	p.state = gwStatePayload
	if n == 0 {
		return b, p.finish()
	}
	return b, false
}

// gwHeaderLen is the length of a frame header given its first two bytes.
func gwHeaderLen(_, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// finish ends the current frame and returns onFrame's stop.
func (p *gwStream) finish() bool {
	p.state = gwStateHeader
	before := p.messages
	if p.fin && (p.op == gwOpText || p.op == gwOpBinary || p.op == gwOpContinuation) {
		p.messages++
	}
	if !p.keep || p.onFrame == nil {
		return false
	}
	if p.masked {
		for i := range p.payload {
			p.payload[i] ^= p.mask[i&3]
		}
	}
	return p.onFrame(p.op, p.payload, before)
}

// gwOp returns the top-level "op" of a small gateway payload. ok is false
// for anything that is not a JSON object with an integer op.
func gwOp(payload []byte) (op int, ok bool) {
	if !bytes.Contains(payload, []byte(`"op"`)) {
		return 0, false
	}
	var v struct {
		Op *int `json:"op"`
	}
	if err := json.Unmarshal(payload, &v); err != nil || v.Op == nil {
		return 0, false
	}
	return *v.Op, true
}

// gwClose returns the code and reason of a close frame's payload; code 0
// means the frame carried none (RFC 6455 §7.1.5: 1005).
func gwClose(payload []byte) (code int, reason string) {
	if len(payload) < 2 {
		return 0, ""
	}
	return int(binary.BigEndian.Uint16(payload)), string(payload[2:])
}

// gwSink receives what the tap sees on one connection.
type gwSink interface {
	// heartbeat is called when the session writes a heartbeat (op 1).
	heartbeat(c *gwConn)
	// ack is called when the gateway acknowledges a heartbeat (op 11).
	ack(c *gwConn)
	// closeFrame is called when the gateway sends a close frame.
	// established reports whether two data messages (HELLO and READY or
	// RESUMED) came before it, that is whether discordgo's Open returned
	// or is about to. A non-nil hold makes the connection keep the frame's
	// last byte from the session until hold is closed.
	closeFrame(c *gwConn, code int, reason string, established bool) (hold <-chan struct{})
}

// gwConn modes.
const (
	gwModeUndecided int32 = iota
	gwModePlain
	gwModeTLS
	gwModePass
)

// gwConn is a gateway connection as the tap Dialer hands it to gorilla. See
// the comment at the top of this file.
type gwConn struct {
	raw  net.Conn
	sink gwSink
	gen  uint64
	ctx  context.Context // the dial's context, for the upstream TLS handshake
	tls  *gwTLS
	// host is the server name for the upstream TLS when gorilla's
	// ClientHello carries none (an IP address): the dialed host, or the
	// target of an HTTP proxy's CONNECT. Written before TLS starts.
	host string

	mode atomic.Int32
	pipe net.Conn // gorilla's end of the pipe in TLS mode; set before mode

	dmu      sync.Mutex // guards rdl, wdl until the mode is known
	rdl, wdl time.Time

	rmu, wmu sync.Mutex // guard rd, wr and the fields below
	rd, wr   gwStream
	stop     <-chan struct{} // set by read when the sink holds a close frame
	held     []byte          // bytes kept from the session until stop closes

	hbSent atomic.Int64 // when the last unanswered heartbeat was written; 0 none
}

// gwTLS is what TLS termination needs: the pinned local certificate and
// the session Dialer's own TLS configuration for the upstream side.
type gwTLS struct {
	local    tls.Certificate
	upstream *tls.Config // may be nil
}

func newGWConn(ctx context.Context, raw net.Conn, addr string, sink gwSink, gen uint64, t *gwTLS) *gwConn {
	c := &gwConn{raw: raw, sink: sink, gen: gen, ctx: ctx, tls: t, host: gwHost(addr)}
	c.wr.onFrame = c.written
	c.rd.onFrame = c.read
	return c
}

// written handles a frame the session wrote.
func (c *gwConn) written(op byte, payload []byte, _ int) bool {
	if op != gwOpText || !bytes.Contains(payload, []byte(`"op":1`)) {
		return false
	}
	if v, ok := gwOp(payload); ok && v == 1 {
		c.sink.heartbeat(c)
	}
	return false
}

// read handles a frame the gateway sent. Called with rmu held.
func (c *gwConn) read(op byte, payload []byte, before int) bool {
	switch op {
	case gwOpText:
		if !bytes.Contains(payload, []byte(`"op":11`)) {
			return false
		}
		if v, ok := gwOp(payload); ok && v == 11 {
			c.sink.ack(c)
		}
	case gwOpClose:
		code, reason := gwClose(payload)
		if hold := c.sink.closeFrame(c, code, reason, before >= 2); hold != nil {
			c.stop = hold
			return true
		}
	}
	return false
}

func (c *gwConn) feedWrite(b []byte) {
	c.wmu.Lock()
	c.wr.feed(b)
	c.wmu.Unlock()
}

// feedRead parses b, the next bytes from the gateway, and returns how many
// of them the session may see now. When the sink holds a close frame found
// in b, that is everything before the frame's last byte: the rest is kept
// in held and stop is returned; see takeHeld. After a hold nothing more is
// parsed.
func (c *gwConn) feedRead(b []byte) (n int, stop <-chan struct{}) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.stop != nil {
		return len(b), nil
	}
	k := c.rd.feed(b)
	if c.stop == nil {
		return len(b), nil
	}
	c.held = append([]byte{}, b[k-1:]...)
	return k - 1, c.stop
}

// heldStop returns the hold to wait for before the next read, if any.
func (c *gwConn) heldStop() <-chan struct{} {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.held == nil {
		return nil
	}
	return c.stop
}

// takeHeld waits for stop, then copies held bytes into b.
func (c *gwConn) takeHeld(b []byte, stop <-chan struct{}) int {
	<-stop
	c.rmu.Lock()
	defer c.rmu.Unlock()
	n := copy(b, c.held)
	c.held = c.held[n:]
	if len(c.held) == 0 {
		c.held = nil
	}
	return n
}

// Write implements net.Conn. The first write decides the mode.
func (c *gwConn) Write(b []byte) (int, error) {
	switch c.mode.Load() {
	case gwModePlain:
		// Parse before writing, so a heartbeat's time is taken before it
		// can be answered.
		c.feedWrite(b)
		return c.raw.Write(b)
	case gwModeTLS:
		return c.pipe.Write(b)
	case gwModePass:
		return c.raw.Write(b)
	}
	switch {
	case len(b) == 0:
		return c.raw.Write(b)
	case b[0] == 0x16 && c.tls != nil: // TLS handshake record: a ClientHello
		c.startTLS()
		return c.pipe.Write(b)
	case bytes.HasPrefix(b, []byte("GET ")):
		c.mode.Store(gwModePlain)
		c.feedWrite(b)
		return c.raw.Write(b)
	case bytes.HasPrefix(b, []byte("CONNECT ")):
		// An HTTP proxy tunnel: decide on what goes through it.
		if target, _, ok := bytes.Cut(b[len("CONNECT "):], []byte(" ")); ok {
			c.host = gwHost(string(target))
		}
		return c.raw.Write(b)
	default:
		c.mode.Store(gwModePass)
		return c.raw.Write(b)
	}
}

// Read implements net.Conn.
func (c *gwConn) Read(b []byte) (int, error) {
	switch c.mode.Load() {
	case gwModePlain:
		if stop := c.heldStop(); stop != nil {
			return c.takeHeld(b, stop), nil
		}
		n, err := c.raw.Read(b)
		if n > 0 {
			// Parse before gorilla sees the bytes: the session reacts to a
			// close frame only after this returns.
			m, stop := c.feedRead(b[:n])
			switch {
			case stop == nil:
			case m > 0:
				return m, nil // the rest comes with the next Read
			default:
				// Only discordgo's listen goroutine reads past READY, so
				// waiting here cannot block Open (see SessionObserver).
				return c.takeHeld(b, stop), nil
			}
		}
		return n, err
	case gwModeTLS:
		return c.pipe.Read(b)
	}
	return c.raw.Read(b)
}

// Close implements net.Conn.
func (c *gwConn) Close() error {
	if c.mode.Load() == gwModeTLS {
		_ = c.pipe.Close() // best effort: the raw close below is what matters
	}
	return c.raw.Close()
}

// LocalAddr implements net.Conn.
func (c *gwConn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr implements net.Conn.
func (c *gwConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// SetDeadline implements net.Conn.
func (c *gwConn) SetDeadline(t time.Time) error {
	if c.mode.Load() == gwModeTLS {
		return c.pipe.SetDeadline(t)
	}
	c.dmu.Lock()
	c.rdl, c.wdl = t, t
	c.dmu.Unlock()
	return c.raw.SetDeadline(t)
}

// SetReadDeadline implements net.Conn.
func (c *gwConn) SetReadDeadline(t time.Time) error {
	if c.mode.Load() == gwModeTLS {
		return c.pipe.SetReadDeadline(t)
	}
	c.dmu.Lock()
	c.rdl = t
	c.dmu.Unlock()
	return c.raw.SetReadDeadline(t)
}

// SetWriteDeadline implements net.Conn.
func (c *gwConn) SetWriteDeadline(t time.Time) error {
	if c.mode.Load() == gwModeTLS {
		return c.pipe.SetWriteDeadline(t)
	}
	c.dmu.Lock()
	c.wdl = t
	c.dmu.Unlock()
	return c.raw.SetWriteDeadline(t)
}

// startTLS switches to TLS termination: gorilla's TLS ends on one end of a
// pipe, served by serveTLS, which talks TLS to the real gateway over raw.
func (c *gwConn) startTLS() {
	p1, p2 := net.Pipe()
	c.dmu.Lock()
	// Deadlines gorilla set for its handshake now apply to its pipe end.
	_ = p1.SetReadDeadline(c.rdl)  // net.Pipe deadlines cannot fail
	_ = p1.SetWriteDeadline(c.wdl) // on an open pipe
	c.dmu.Unlock()
	c.pipe = p1
	c.mode.Store(gwModeTLS)
	go c.serveTLS(p2)
}

// serveTLS terminates gorilla's TLS on p, opens TLS upstream on raw with the
// server name gorilla asked for, and copies plaintext both ways through the
// parsers. It ends, closing both sides, when either side ends.
func (c *gwConn) serveTLS(p net.Conn) {
	var up *tls.Conn
	srv := tls.Server(p, &tls.Config{
		Certificates: []tls.Certificate{c.tls.local},
		MinVersion:   tls.VersionTLS12,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			// Open the real connection first, so gorilla's handshake
			// fails when the gateway's certificate does not verify.
			cfg := &tls.Config{MinVersion: tls.VersionTLS12}
			if c.tls.upstream != nil {
				cfg = c.tls.upstream.Clone()
			}
			if cfg.ServerName == "" {
				cfg.ServerName = h.ServerName
			}
			if cfg.ServerName == "" {
				cfg.ServerName = c.host
			}
			up = tls.Client(c.raw, cfg)
			if err := up.HandshakeContext(c.ctx); err != nil {
				return nil, fmt.Errorf("gateway tls handshake: %w", err)
			}
			// gorilla's later deadline changes go to the pipe; the
			// handshake deadline it set on raw must not end the session.
			return nil, c.raw.SetDeadline(time.Time{})
		},
	})
	closeAll := func() {
		_ = p.Close()     // best effort: ends gorilla's side
		_ = c.raw.Close() // best effort: ends the upstream side
	}
	if err := srv.Handshake(); err != nil {
		closeAll()
		return
	}
	go func() {
		defer closeAll()
		buf := make([]byte, 32<<10)
		for {
			n, err := up.Read(buf)
			if n > 0 {
				m, stop := c.feedRead(buf[:n])
				if m > 0 {
					if _, werr := srv.Write(buf[:m]); werr != nil {
						return
					}
				}
				if stop != nil {
					h := make([]byte, n-m)
					h = h[:c.takeHeld(h, stop)]
					if _, werr := srv.Write(h); werr != nil {
						return
					}
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer closeAll()
	buf := make([]byte, 4<<10)
	for {
		n, err := srv.Read(buf)
		if n > 0 {
			c.feedWrite(buf[:n])
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// gwHost returns the host of a host:port address.
func gwHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// newGWCert returns a throw-away self-signed certificate for the in-process
// TLS termination. Nothing checks its names or dates: the tap Dialer pins
// it by its bytes.
func newGWCert(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate gateway tap key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate gateway tap serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "nexusmon gateway tap"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(100 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create gateway tap certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// gwVerify checks the certificate gorilla's TLS was shown: the tap's own
// (pinned by its bytes), or, when the connection was not terminated by the
// tap (a SOCKS proxy), the real gateway's, verified the way crypto/tls
// would with the session Dialer's TLS configuration cfg.
func gwVerify(local []byte, cfg *tls.Config, cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) > 0 && bytes.Equal(cs.PeerCertificates[0].Raw, local) {
		return nil
	}
	if cfg == nil {
		cfg = &tls.Config{}
	}
	var chains [][]*x509.Certificate
	if !cfg.InsecureSkipVerify {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("gateway sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: cfg.RootCAs, DNSName: cs.ServerName, Intermediates: x509.NewCertPool()}
		if cfg.Time != nil {
			opts.CurrentTime = cfg.Time()
		}
		for _, ic := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(ic)
		}
		var err error
		if chains, err = cs.PeerCertificates[0].Verify(opts); err != nil {
			return fmt.Errorf("verify gateway certificate: %w", err)
		}
	}
	if cfg.VerifyPeerCertificate != nil {
		raw := make([][]byte, len(cs.PeerCertificates))
		for i, pc := range cs.PeerCertificates {
			raw[i] = pc.Raw
		}
		if err := cfg.VerifyPeerCertificate(raw, chains); err != nil {
			return err
		}
	}
	if cfg.VerifyConnection != nil {
		return cfg.VerifyConnection(cs)
	}
	return nil
}

// gwDialer returns a new Dialer with orig's settings whose connections go
// through dial, and whose TLS trusts the tap's certificate (see gwVerify).
// orig is never modified; nil means websocket.DefaultDialer's settings.
func gwDialer(orig *websocket.Dialer, dial func(context.Context, string, string) (net.Conn, error),
	local []byte) *websocket.Dialer {
	if orig == nil {
		orig = websocket.DefaultDialer
	}
	upstream := orig.TLSClientConfig
	tc := &tls.Config{
		// The peer is the tap itself, pinned in VerifyConnection (which
		// runs whatever InsecureSkipVerify says); gorilla's hostname check
		// is skipped with it. Anything else is verified by gwVerify as
		// crypto/tls would.
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		MinVersion:         tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return gwVerify(local, upstream, cs)
		},
	}
	if upstream != nil {
		tc.ServerName = upstream.ServerName
	}
	return &websocket.Dialer{
		NetDialContext:    dial,
		Proxy:             orig.Proxy,
		TLSClientConfig:   tc,
		HandshakeTimeout:  orig.HandshakeTimeout,
		ReadBufferSize:    orig.ReadBufferSize,
		WriteBufferSize:   orig.WriteBufferSize,
		WriteBufferPool:   orig.WriteBufferPool,
		Subprotocols:      orig.Subprotocols,
		EnableCompression: orig.EnableCompression,
		Jar:               orig.Jar,
	}
}

// gwInnerDial returns the dial function orig would use.
func gwInnerDial(orig *websocket.Dialer) func(context.Context, string, string) (net.Conn, error) {
	switch {
	case orig != nil && orig.NetDialContext != nil:
		return orig.NetDialContext
	case orig != nil && orig.NetDial != nil:
		nd := orig.NetDial
		return func(_ context.Context, network, addr string) (net.Conn, error) { return nd(network, addr) }
	default:
		return (&net.Dialer{}).DialContext
	}
}
