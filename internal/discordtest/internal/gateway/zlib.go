package gateway

import (
	"bytes"
	"compress/zlib"
	"net/http"
)

// zstream is the zlib-stream transport compression of one gateway
// connection, asked for with ?compress=zlib-stream (discord.py always asks):
// every payload is written into one zlib stream that lives as long as the
// connection and is flushed with Z_SYNC_FLUSH, so each binary frame ends in
// 00 00 ff ff, as on Discord. Guarded by conn.wmu.
type zstream struct {
	buf bytes.Buffer
	w   *zlib.Writer
}

// newZstream returns the compression r asks for, or nil for plain text
// frames (any other compress value is ignored).
func newZstream(r *http.Request) *zstream {
	if r.URL.Query().Get("compress") != "zlib-stream" {
		return nil
	}
	z := &zstream{}
	z.w = zlib.NewWriter(&z.buf)
	return z
}

// frame compresses b into the stream and returns the bytes of one binary
// frame.
func (z *zstream) frame(b []byte) []byte {
	z.buf.Reset()
	// Writes into a bytes.Buffer cannot fail.
	_, _ = z.w.Write(b)
	_ = z.w.Flush()
	return bytes.Clone(z.buf.Bytes())
}
