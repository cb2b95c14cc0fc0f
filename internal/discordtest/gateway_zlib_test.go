package discordtest

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// zframes reads the websocket messages of a zlib-stream connection as one
// byte stream, checking that each is a binary frame ending in the
// Z_SYNC_FLUSH marker, which is how discord.py finds message boundaries.
type zframes struct {
	t    *testing.T
	c    *websocket.Conn
	rest []byte
}

func (z *zframes) Read(p []byte) (int, error) {
	if len(z.rest) == 0 {
		if err := z.c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			return 0, err
		}
		typ, b, err := z.c.ReadMessage()
		if err != nil {
			return 0, err
		}
		if typ != websocket.BinaryMessage || !bytes.HasSuffix(b, []byte{0, 0, 0xff, 0xff}) {
			z.t.Errorf("frame type %d ends in % x, want a binary frame ending in 00 00 ff ff", typ, b[max(len(b)-4, 0):])
		}
		z.rest = b
	}
	n := copy(p, z.rest)
	z.rest = z.rest[n:]
	return n, nil
}

func TestGateway_ZlibStream(t *testing.T) {
	t.Parallel()
	s := New(t)
	d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial(strings.Replace(s.URL, "http", "ws", 1)+"/ws?v=10&encoding=json&compress=zlib-stream", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = c.Close() }) // best effort: the server closes it too
	zr, err := zlib.NewReader(&zframes{t: t, c: c})
	if err != nil {
		t.Fatalf("zlib header: %v", err)
	}
	dec := json.NewDecoder(zr)
	next := func() wsFrame {
		t.Helper()
		var f wsFrame
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("decode: %v", err)
		}
		return f
	}
	if f := next(); f.Op != 10 {
		t.Fatalf("first frame op %d, want hello", f.Op)
	}
	if err := c.WriteJSON(map[string]any{"op": 1, "d": nil}); err != nil {
		t.Fatal(err)
	}
	if f := next(); f.Op != 11 {
		t.Fatalf("heartbeat answer op %d", f.Op)
	}
	if err := c.WriteJSON(identify(s.Token())); err != nil {
		t.Fatal(err)
	}
	// READY and GUILD_CREATE come out of the same stream: the compressor's
	// state carries over from frame to frame.
	for i, want := range []string{"READY", "GUILD_CREATE"} {
		if f := next(); f.Op != 0 || deref(f.T) != want || deref(f.S) != int64(i+1) {
			t.Fatalf("frame %d = op %d t %v s %v, want %s", i, f.Op, deref(f.T), deref(f.S), want)
		}
	}
	id, _ := s.InjectInteraction(Interaction{GuildID: DefaultGuildID, Command: "ping"})
	f := next()
	var in struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(f.D, &in); err != nil || deref(f.T) != "INTERACTION_CREATE" || in.ID != id {
		t.Fatalf("frame = t %v d %s, want INTERACTION_CREATE %s", deref(f.T), f.D, id)
	}
}
