package gatewaytap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
)

// gwFrame builds one websocket frame. A non-nil mask masks the payload, as
// a client does.
func gwFrame(op byte, fin, rsv1 bool, mask []byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	if rsv1 {
		b0 |= 0x40
	}
	var b1 byte
	if mask != nil {
		b1 = 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, b1|byte(n))
	case n <= 0xffff:
		f = append(f, b1|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, b1|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	body := bytes.Clone(payload)
	if mask != nil {
		f = append(f, mask...)
		for i := range body {
			body[i] ^= mask[i%4]
		}
	}
	return append(f, body...)
}

func gwCloseFrame(code int, reason string, mask []byte) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	return gwFrame(gwOpClose, true, false, mask, append(p, reason...))
}

type gwSeen struct {
	op      byte
	payload string
	before  int
}

func gwCollect(p *gwStream) *[]gwSeen {
	var seen []gwSeen
	p.onFrame = func(op byte, payload []byte, before int) bool {
		seen = append(seen, gwSeen{op, string(payload), before})
		return false
	}
	return &seen
}

func TestGWStream(t *testing.T) {
	t.Parallel()
	mask := []byte{0x37, 0xfa, 0x21, 0x3d}
	big := bytes.Repeat([]byte("x"), 70000)
	mid := []byte(`{"op":0,"t":"GUILD_CREATE","d":{"name":"` + strings.Repeat("g", 400) + `"}}`)
	const upgradeResp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	tests := []struct {
		name   string
		stream []byte
		want   []gwSeen
	}{
		{
			name: "client heartbeat, masked",
			stream: append([]byte("GET /ws/?v=9 HTTP/1.1\r\nHost: gateway\r\n\r\n"),
				gwFrame(gwOpText, true, false, mask, []byte(`{"op":1,"d":42}`+"\n"))...),
			want: []gwSeen{{gwOpText, `{"op":1,"d":42}` + "\n", 0}},
		},
		{
			name: "hello, ready, ack and close after the upgrade response",
			stream: bytes.Join([][]byte{
				[]byte(upgradeResp),
				gwFrame(gwOpText, true, false, nil, []byte(`{"op":10,"d":{"heartbeat_interval":45000}}`)),
				gwFrame(gwOpText, true, false, nil, mid), // over gwMaxInspect: counted, not kept
				gwFrame(gwOpText, true, false, nil, []byte(`{"t":null,"s":null,"op":11,"d":null}`)),
				gwCloseFrame(4014, "Disallowed intent(s).", nil),
			}, nil),
			want: []gwSeen{
				{gwOpText, `{"op":10,"d":{"heartbeat_interval":45000}}`, 0},
				{gwOpText, `{"t":null,"s":null,"op":11,"d":null}`, 2},
				{gwOpClose, "\x0f\xaeDisallowed intent(s).", 3},
			},
		},
		{
			name: "64-bit length frame is skipped",
			stream: bytes.Join([][]byte{
				[]byte(upgradeResp),
				gwFrame(gwOpBinary, true, false, nil, big),
				gwFrame(gwOpText, true, false, nil, []byte(`{"op":11}`)),
			}, nil),
			want: []gwSeen{{gwOpText, `{"op":11}`, 1}},
		},
		{
			name: "compressed and fragmented frames are not kept, the message is counted once",
			stream: bytes.Join([][]byte{
				[]byte(upgradeResp),
				gwFrame(gwOpText, true, true, nil, []byte("deflated")),
				gwFrame(gwOpText, false, false, nil, []byte(`{"op":`)),
				gwFrame(gwOpContinuation, true, false, nil, []byte(`11}`)),
				gwFrame(0x9, true, false, nil, []byte("ping")), // control frame: not a message
				gwCloseFrame(1000, "", nil),
			}, nil),
			want: []gwSeen{{gwOpClose, "\x03\xe8", 2}},
		},
		{
			name: "empty close frame",
			stream: append([]byte(upgradeResp),
				gwFrame(gwOpClose, true, false, nil, nil)...),
			want: []gwSeen{{gwOpClose, "", 0}},
		},
		{
			name:   "no end of the header block",
			stream: append([]byte("HTTP/1.1 101 OK\r\nX: "+strings.Repeat("a", gwMaxHTTP)), gwFrame(gwOpText, true, false, nil, []byte(`{"op":11}`))...),
		},
		{
			name: "impossible length stops parsing",
			stream: append([]byte(upgradeResp+"\x81\x7f\xff\xff\xff\xff\xff\xff\xff\xff"),
				gwFrame(gwOpText, true, false, nil, []byte(`{"op":11}`))...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Whole, byte by byte, and in chunks of 7: the result must not
			// depend on how the stream is split.
			for _, chunk := range []int{len(tt.stream), 1, 7} {
				var p gwStream
				seen := gwCollect(&p)
				for b := tt.stream; len(b) > 0; {
					n := min(chunk, len(b))
					p.feed(b[:n])
					b = b[n:]
				}
				if got, want := fmt.Sprintf("%+v", *seen), fmt.Sprintf("%+v", tt.want); got != want {
					t.Errorf("chunks of %d: frames\n got %s\nwant %s", chunk, got, want)
				}
			}
		})
	}
}

func TestGWOp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   int
		wantOK bool
	}{
		{`{"op":1,"d":5}`, 1, true},
		{`{"t":null,"s":null,"op":11,"d":null}`, 11, true},
		{`{"op":0,"t":"MESSAGE_CREATE","d":{"content":"{\"op\":11}"}}`, 0, true},
		{`{"d":{"op":11}}`, 0, false},
		{`{"op":"1"}`, 0, false},
		{`not json "op":1`, 0, false},
		{``, 0, false},
	}
	for _, tt := range tests {
		got, ok := gwOp([]byte(tt.in))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("gwOp(%s) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestGWClose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		code       int
		reasonWant string
	}{
		{"\x0f\xaeDisallowed intent(s).", 4014, "Disallowed intent(s)."},
		{"\x03\xe8", 1000, ""},
		{"\x03", 0, ""},
		{"", 0, ""},
	}
	for _, tt := range tests {
		code, reason := gwClose([]byte(tt.in))
		if code != tt.code || reason != tt.reasonWant {
			t.Errorf("gwClose(%q) = %d, %q; want %d, %q", tt.in, code, reason, tt.code, tt.reasonWant)
		}
	}
}

// gwRecorder is a Sink that records calls and holds close frames when
// hold is set.
type gwRecorder struct {
	heartbeats, acks int
	closes           []string
	hold             chan struct{}
}

func (r *gwRecorder) Heartbeat(*Conn) { r.heartbeats++ }
func (r *gwRecorder) Ack(*Conn)       { r.acks++ }
func (r *gwRecorder) CloseFrame(_ *Conn, code int, reason string, established bool) <-chan struct{} {
	r.closes = append(r.closes, fmt.Sprintf("%d %s %v", code, reason, established))
	if r.hold == nil {
		return nil
	}
	return r.hold
}

func TestConn_Frames(t *testing.T) {
	t.Parallel()
	rec := &gwRecorder{}
	c := NewConn(nil, rec, 1)
	mask := []byte{1, 2, 3, 4}
	c.wr.feed([]byte("GET / HTTP/1.1\r\n\r\n"))
	c.rd.feed([]byte("HTTP/1.1 101 Switching Protocols\r\n\r\n"))
	// Only op 1 counts as a heartbeat: not identify, not a payload quoting op 1.
	c.wr.feed(gwFrame(gwOpText, true, false, mask, []byte(`{"op":2,"d":{"token":"x"}}`)))
	c.wr.feed(gwFrame(gwOpText, true, false, mask, []byte(`{"op":1,"d":0}`)))
	c.wr.feed(gwFrame(gwOpText, true, false, mask, []byte(`{"op":3,"d":{"status":"{\"op\":1}"}}`)))
	c.rd.feed(gwFrame(gwOpText, true, false, nil, []byte(`{"op":10,"d":{"heartbeat_interval":100}}`)))
	c.rd.feed(gwFrame(gwOpText, true, false, nil, []byte(`{"op":11,"d":null}`)))
	c.rd.feed(gwFrame(gwOpText, true, false, nil, []byte(`{"op":0,"t":"READY","d":{}}`)))
	c.rd.feed(gwCloseFrame(4004, "Authentication failed.", nil))
	if rec.heartbeats != 1 || rec.acks != 1 {
		t.Errorf("heartbeats, acks = %d, %d; want 1, 1", rec.heartbeats, rec.acks)
	}
	// HELLO and READY came first: discordgo's Open had returned.
	if want := []string{"4004 Authentication failed. true"}; fmt.Sprint(rec.closes) != fmt.Sprint(want) {
		t.Errorf("closes = %q, want %q", rec.closes, want)
	}
}

func TestGWStream_Stop(t *testing.T) {
	t.Parallel()
	ack := gwFrame(gwOpText, true, false, nil, []byte(`{"op":11}`))
	cl := gwCloseFrame(4014, "", nil)
	stream := bytes.Join([][]byte{[]byte("HTTP/1.1 101 OK\r\n\r\n"), ack, cl, ack}, nil)
	var p gwStream
	p.onFrame = func(op byte, _ []byte, _ int) bool { return op == gwOpClose }
	want := len(stream) - len(ack)
	if got := p.feed(stream); got != want {
		t.Errorf("feed consumed %d bytes, want %d (up to the end of the close frame)", got, want)
	}
}

// TestConn_Hold checks that a held close frame reaches the reader only
// after the hold is released, and everything before it at once.
func TestConn_Hold(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	defer client.Close()
	rec := &gwRecorder{hold: make(chan struct{})}
	c := NewConn(client, rec, 1)
	defer c.Close()
	hello := gwFrame(gwOpText, true, false, nil, []byte(`{"op":10}`))
	ready := gwFrame(gwOpText, true, false, nil, []byte(`{"op":0,"t":"READY"}`))
	cl := gwCloseFrame(4004, "Authentication failed.", nil)
	go func() {
		buf := make([]byte, 64)
		if _, err := server.Read(buf); err != nil { // the upgrade request
			return
		}
		_, _ = server.Write(bytes.Join([][]byte{[]byte("HTTP/1.1 101 OK\r\n\r\n"), hello, ready, cl}, nil))
	}()
	if _, err := c.Write([]byte("GET /ws HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(buf[:n], cl[:len(cl)-1]) {
		t.Fatalf("first read = %q, want everything but the close frame's last byte", buf[:n])
	}
	// The release runs on a goroutine that starts while Read runs: a Read
	// that does not wait for it returns before released is set.
	var released atomic.Bool
	go func() {
		released.Store(true)
		close(rec.hold)
	}()
	b := make([]byte, 16)
	m, err := c.Read(b)
	if !released.Load() {
		t.Fatalf("read %q (%v) before the hold was released", b[:m], err)
	}
	if err != nil || !bytes.Equal(b[:m], cl[len(cl)-1:]) {
		t.Errorf("after release read %q, %v; want %q", b[:m], err, cl[len(cl)-1:])
	}
	if want := "[4004 Authentication failed. true]"; fmt.Sprint(rec.closes) != want {
		t.Errorf("closes = %v, want %s", rec.closes, want)
	}
}

func BenchmarkGWStream(b *testing.B) {
	// A typical dispatch stream: mostly mid-sized events, some ACKs.
	var stream []byte
	stream = append(stream, "HTTP/1.1 101 Switching Protocols\r\n\r\n"...)
	ev := gwFrame(gwOpText, true, false, nil, []byte(`{"op":0,"t":"MESSAGE_CREATE","s":1,"d":{"content":"`+strings.Repeat("m", 600)+`"}}`))
	ack := gwFrame(gwOpText, true, false, nil, []byte(`{"t":null,"s":null,"op":11,"d":null}`))
	for i := range 100 {
		stream = append(stream, ev...)
		if i%10 == 0 {
			stream = append(stream, ack...)
		}
	}
	header := len("HTTP/1.1 101 Switching Protocols\r\n\r\n")
	b.SetBytes(int64(len(stream) - header))
	b.ReportAllocs()
	var p gwStream
	p.onFrame = func(byte, []byte, int) bool { return false }
	p.feed(stream[:header])
	body := stream[header:]
	for b.Loop() {
		for rest := body; len(rest) > 0; {
			n := min(4096, len(rest))
			p.feed(rest[:n])
			rest = rest[n:]
		}
	}
}
