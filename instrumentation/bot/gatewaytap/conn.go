package gatewaytap

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net"
	"sync"
	"sync/atomic"
)

// The gateway tap's connection: see dial.go for how it is dialed.
//
// Conn wraps the connection gorilla/websocket reads and writes the
// gateway's websocket frames on: the *tls.Conn for wss://, TCP for ws://.
// It parses the frames the session writes (heartbeats, op 1) and reads
// (heartbeat ACKs, op 11, and close frames with their code), in plaintext,
// and passes every byte through unchanged.

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

// Sink receives what the tap sees on one connection. Its methods run on
// the goroutine that writes (Heartbeat) or reads (Ack, CloseFrame) the
// connection, before the bytes are written or handed to the session.
type Sink interface {
	// Heartbeat is called when the session writes a heartbeat (op 1).
	Heartbeat(c *Conn)
	// Ack is called when the gateway acknowledges a heartbeat (op 11).
	Ack(c *Conn)
	// CloseFrame is called when the gateway sends a close frame.
	// established reports whether two data messages (HELLO and READY or
	// RESUMED) came before it, that is whether discordgo's Open returned
	// or is about to. A non-nil hold makes the connection keep the frame's
	// last byte from the session until hold is closed.
	CloseFrame(c *Conn, code int, reason string, established bool) (hold <-chan struct{})
}

// Conn is a gateway connection as the tap Dialer hands it to gorilla. The
// embedded net.Conn starts where the websocket upgrade does: TLS and any proxy
// tunnel are below it.
type Conn struct {
	net.Conn
	sink Sink
	gen  uint64

	// HeartbeatSent is the Sink's: when the last unanswered heartbeat was
	// written, in the Sink's own clock; 0 none.
	HeartbeatSent atomic.Int64

	rmu, wmu sync.Mutex // guard rd, wr and the fields below
	rd, wr   gwStream
	stop     <-chan struct{} // set by read when the sink holds a close frame
	held     []byte          // bytes kept from the session until stop closes
}

// NewConn returns c tapped for sink. gen is the caller's number for the
// connection (Gen), so a Sink can tell its connections apart.
func NewConn(c net.Conn, sink Sink, gen uint64) *Conn {
	g := &Conn{Conn: c, sink: sink, gen: gen}
	g.wr.onFrame = g.written
	g.rd.onFrame = g.read
	return g
}

// Gen returns the number NewConn was given.
func (c *Conn) Gen() uint64 { return c.gen }

// written handles a frame the session wrote.
func (c *Conn) written(op byte, payload []byte, _ int) bool {
	if op != gwOpText || !bytes.Contains(payload, []byte(`"op":1`)) {
		return false
	}
	if v, ok := gwOp(payload); ok && v == 1 {
		c.sink.Heartbeat(c)
	}
	return false
}

// read handles a frame the gateway sent. Called with rmu held.
func (c *Conn) read(op byte, payload []byte, before int) bool {
	switch op {
	case gwOpText:
		if !bytes.Contains(payload, []byte(`"op":11`)) {
			return false
		}
		if v, ok := gwOp(payload); ok && v == 11 {
			c.sink.Ack(c)
		}
	case gwOpClose:
		code, reason := gwClose(payload)
		if hold := c.sink.CloseFrame(c, code, reason, before >= 2); hold != nil {
			c.stop = hold
			return true
		}
	}
	return false
}

// feedRead parses b, the next bytes from the gateway, and returns how many
// of them the session may see now. When the sink holds a close frame found
// in b, that is everything before the frame's last byte: the rest is kept
// in held and stop is returned; see takeHeld. After a hold nothing more is
// parsed.
func (c *Conn) feedRead(b []byte) (n int, stop <-chan struct{}) {
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
func (c *Conn) heldStop() <-chan struct{} {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.held == nil {
		return nil
	}
	return c.stop
}

// takeHeld waits for stop, then copies held bytes into b.
func (c *Conn) takeHeld(b []byte, stop <-chan struct{}) int {
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

// Write implements net.Conn. The bytes are parsed before they are written,
// so a heartbeat's time is taken before it can be answered.
func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	c.wr.feed(b)
	c.wmu.Unlock()
	return c.Conn.Write(b)
}

// Read implements net.Conn. The bytes are parsed before gorilla sees them:
// the session reacts to a close frame only after this returns.
func (c *Conn) Read(b []byte) (int, error) {
	if stop := c.heldStop(); stop != nil {
		return c.takeHeld(b, stop), nil
	}
	n, err := c.Conn.Read(b)
	if n == 0 {
		return n, err
	}
	m, stop := c.feedRead(b[:n])
	switch {
	case stop == nil:
		return n, err
	case m > 0:
		return m, nil // the rest comes with the next Read
	default:
		// Only discordgo's listen goroutine reads past READY, so waiting
		// here cannot block Open (see the bot package's SessionObserver).
		return c.takeHeld(b, stop), nil
	}
}
