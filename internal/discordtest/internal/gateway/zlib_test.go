package gateway

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http/httptest"
	"testing"
)

// TestZstream checks the framing discord.py relies on: one zlib stream per
// connection, each frame ending in the Z_SYNC_FLUSH marker, and later frames
// compressed against the earlier ones (they cannot be read alone).
func TestZstream(t *testing.T) {
	t.Parallel()
	if z := newZstream(httptest.NewRequest("GET", "/ws?v=10&compress=zlib", nil)); z != nil {
		t.Fatal("compress=zlib (not zlib-stream) got compression")
	}
	z := newZstream(httptest.NewRequest("GET", "/ws?v=10&encoding=json&compress=zlib-stream", nil))
	if z == nil {
		t.Fatal("compress=zlib-stream got no compression")
	}
	payloads := []string{`{"op":10,"d":{"heartbeat_interval":45000}}`, `{"op":11}`, `{"op":10,"d":{"heartbeat_interval":45000}}`}
	var stream bytes.Buffer
	var frames [][]byte
	for _, p := range payloads {
		f := z.frame([]byte(p))
		if !bytes.HasSuffix(f, []byte{0, 0, 0xff, 0xff}) {
			t.Fatalf("frame for %s ends in % x", p, f[max(len(f)-4, 0):])
		}
		frames = append(frames, f)
		stream.Write(f)
	}
	zr, err := zlib.NewReader(&stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range payloads {
		got := make([]byte, len(p))
		if _, err := io.ReadFull(zr, got); err != nil || string(got) != p {
			t.Fatalf("read %q (%v), want %q", got, err, p)
		}
	}
	// The third frame repeats the first payload: a fresh stream would
	// compress it the same as the first frame, one stream does not.
	if bytes.Equal(frames[0], frames[2]) {
		t.Error("the third frame equals the first: the stream does not carry over")
	}
}
