// Package pngenc writes paletted images as PNG with a small, bounded
// amount of memory: the health chart's encoder (render/chart). image/png
// allocates compress/flate's compressor for each image, about 1.2 MB of
// hash tables whatever the level, which the chart would allocate at every
// health report once the garbage collector emptied its pool.
//
// The PNG is 8 bits a pixel (colour type 3) with filter None on every row;
// its zlib stream is one deflate block with the fixed Huffman codes (RFC
// 1951 §3.2.6), whose matches are the two a chart is made of: runs of one
// byte (distance 1) and copies of the row above (distance width+1, the
// filter byte included), when that distance is at most 32768. Anything
// else is a literal, so the worst case (noise) is 9 bits a byte.
package pngenc

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/adler32"
	"hash/crc32"
	"image"
	"io"
)

// chunkSize is the most data an IDAT chunk holds.
const chunkSize = 8 << 10

const (
	minMatch = 3
	maxMatch = 258
	maxDist  = 32768
)

var signature = []byte("\x89PNG\r\n\x1a\n")

// Encoder encodes paletted images as PNG. Its buffers (two rows and an
// IDAT chunk, about 10 KB for an 800 px wide image) are kept for the next
// image. The zero value is ready to use; an Encoder is not safe for
// concurrent use.
type Encoder struct {
	w   io.Writer
	err error

	prev, cur []byte // the previous and current row: filter byte, then the pixels
	chunk     []byte // the IDAT data not yet written
	adler     hash.Hash32

	acc   uint64 // bits not yet in chunk, the first in the lowest bit
	nbits uint

	// The match that reached the end of the previous row and may go on
	// in this one: its distance (0 for none) and length, and for distance
	// 1 the byte it repeats; bytes holds its first bytes in case it ends
	// shorter than minMatch.
	md, ml int
	mb     byte
	bytes  [minMatch - 1]byte

	up       bool   // copies from the row above are in reach (width+1 ≤ 32768)
	upCode   uint32 // the distance code of a copy from the row above, extra bits included
	upNbits  uint
	first    bool    // the row is the image's first
	scratch  [8]byte // a chunk's length and type, or its CRC
	palette  [3 * 256]byte
	alphas   [256]byte
	ihdrData [13]byte
}

// Encode writes m to w as PNG.
func (e *Encoder) Encode(w io.Writer, m *image.Paletted) error {
	width, height := m.Rect.Dx(), m.Rect.Dy()
	if width <= 0 || height <= 0 || int64(width) >= 1<<31 || int64(height) >= 1<<31 {
		return fmt.Errorf("invalid image size %dx%d", width, height)
	}
	if n := len(m.Palette); n < 1 || n > 256 {
		return fmt.Errorf("palette of %d colours, want 1 to 256", n)
	}
	*e = Encoder{prev: e.prev, cur: e.cur, chunk: e.chunk[:0], adler: e.adler, w: w}
	if e.adler == nil {
		e.adler = adler32.New()
	}
	e.adler.Reset()
	if cap(e.chunk) < chunkSize {
		e.chunk = make([]byte, 0, chunkSize)
	}
	rowLen := width + 1
	if cap(e.cur) < rowLen {
		e.prev, e.cur = make([]byte, rowLen), make([]byte, rowLen)
	}
	e.prev, e.cur = e.prev[:rowLen], e.cur[:rowLen]
	e.up = rowLen <= maxDist
	if e.up {
		e.upCode, e.upNbits = distBits(rowLen)
	}

	e.write(signature)
	binary.BigEndian.PutUint32(e.ihdrData[0:], uint32(width))
	binary.BigEndian.PutUint32(e.ihdrData[4:], uint32(height))
	e.ihdrData[8] = 8  // bit depth
	e.ihdrData[9] = 3  // colour type: paletted
	e.ihdrData[10] = 0 // compression: deflate
	e.ihdrData[11] = 0 // filter method 0
	e.ihdrData[12] = 0 // no interlace
	e.writeChunk("IHDR", e.ihdrData[:])
	e.writePalette(m)

	e.chunk = append(e.chunk, 0x78, 0x01) // zlib: deflate, 32 KB window, fastest; (0x7801 % 31 == 0)
	e.bits(1|1<<1, 3)                     // BFINAL, BTYPE 01: fixed Huffman codes
	for y := range height {
		e.prev, e.cur = e.cur, e.prev
		e.cur[0] = 0 // filter None
		off := m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y+y)
		copy(e.cur[1:], m.Pix[off:off+width])
		e.adler.Write(e.cur)
		e.first = y == 0
		e.row()
	}
	e.endMatch()
	e.bits(uint64(litCodes[256].code), uint(litCodes[256].n)) // end of block
	if e.nbits > 0 {
		e.bits(0, (8-e.nbits%8)%8)
	}
	for e.nbits > 0 {
		e.chunk = append(e.chunk, byte(e.acc))
		e.acc >>= 8
		e.nbits -= 8
	}
	e.chunk = binary.BigEndian.AppendUint32(e.chunk, e.adler.Sum32())
	e.writeChunk("IDAT", e.chunk)
	e.chunk = e.chunk[:0]
	e.writeChunk("IEND", nil)
	err := e.err
	e.w = nil
	return err
}

// writePalette writes PLTE, and tRNS if a colour is not opaque.
func (e *Encoder) writePalette(m *image.Paletted) {
	last := -1 // the last entry that is not opaque
	for i, c := range m.Palette {
		r, g, b, a := c.RGBA()
		if a != 0xFFFF {
			last = i
			if a != 0 { // PNG's palette is not premultiplied
				r, g, b = r*0xFFFF/a, g*0xFFFF/a, b*0xFFFF/a
			}
		}
		e.palette[3*i], e.palette[3*i+1], e.palette[3*i+2] = byte(r>>8), byte(g>>8), byte(b>>8)
		e.alphas[i] = byte(a >> 8)
	}
	e.writeChunk("PLTE", e.palette[:3*len(m.Palette)])
	if last >= 0 {
		e.writeChunk("tRNS", e.alphas[:last+1])
	}
}

func (e *Encoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

// writeChunk writes a chunk: length, type, data, CRC of type and data.
func (e *Encoder) writeChunk(typ string, data []byte) {
	binary.BigEndian.PutUint32(e.scratch[:4], uint32(len(data)))
	copy(e.scratch[4:8], typ)
	e.write(e.scratch[:8])
	e.write(data)
	crc := crc32.Update(crc32.ChecksumIEEE(e.scratch[4:8]), crc32.IEEETable, data)
	binary.BigEndian.PutUint32(e.scratch[:4], crc)
	e.write(e.scratch[:4])
}

// bits adds the n (at most 32) lowest bits of v to the deflate stream.
func (e *Encoder) bits(v uint64, n uint) {
	e.acc |= v << e.nbits
	e.nbits += n
	if e.nbits >= 32 {
		e.chunk = binary.LittleEndian.AppendUint32(e.chunk, uint32(e.acc))
		e.acc >>= 32
		e.nbits -= 32
		if len(e.chunk) > chunkSize-12 { // room for the end: up to 7 bytes of bits and the Adler-32
			e.writeChunk("IDAT", e.chunk)
			e.chunk = e.chunk[:0]
		}
	}
}

func (e *Encoder) literal(b byte) {
	c := litCodes[b]
	e.bits(uint64(c.code), uint(c.n))
}

// match writes a copy of n bytes from distance dist (1 or the row
// length).
func (e *Encoder) match(dist, n int) {
	l := lenCodes[n-minMatch]
	if dist == 1 {
		e.bits(uint64(l.code), uint(l.n)+5) // distance code 0, no extra bits
		return
	}
	e.bits(uint64(l.code)|uint64(e.upCode)<<l.n, uint(l.n)+e.upNbits)
}

// endMatch writes the pending match, as literals if it is too short.
func (e *Encoder) endMatch() {
	switch {
	case e.md == 0:
	case e.ml >= minMatch:
		e.match(e.md, e.ml)
	default:
		for _, b := range e.bytes[:e.ml] {
			e.literal(b)
		}
	}
	e.md, e.ml = 0, 0
}

// row compresses e.cur, the stream's next row, greedily: at each byte the
// longer of the run and the copy from above (the run when equal, its code
// is shorter), a literal when neither reaches minMatch. A match that
// reaches the end of the row is left pending: it may go on in the next.
func (e *Encoder) row() {
	cur, prev := e.cur, e.prev
	n := len(cur)
	up := e.up && !e.first
	i := 0
	if e.md != 0 { // go on with the previous row's match
		had := e.ml
		if e.md == 1 {
			for i < n && e.ml < maxMatch && cur[i] == e.mb {
				i++
				e.ml++
			}
		} else {
			for i < n && e.ml < maxMatch && cur[i] == prev[i] {
				i++
				e.ml++
			}
		}
		if had < minMatch-1 {
			copy(e.bytes[had:], cur[:i])
		}
		if i == n && e.ml < maxMatch {
			return
		}
		e.endMatch()
	}
	for i < n {
		b := cur[i]
		run := 0 // a run goes on from the byte before
		if i > 0 && cur[i-1] == b || i == 0 && !e.first && prev[n-1] == b {
			run = 1
			for i+run < n && run < maxMatch && cur[i+run] == b {
				run++
			}
		}
		cp := 0
		if up {
			for i+cp < n && cp < maxMatch && cur[i+cp] == prev[i+cp] {
				cp++
			}
		}
		dist, l := 1, run
		if cp > run {
			dist, l = n, cp
		}
		switch {
		case l > 0 && i+l == n && l < maxMatch: // it may go on in the next row
			e.md, e.ml, e.mb = dist, l, b
			copy(e.bytes[:], cur[i:])
			return
		case l >= minMatch:
			e.match(dist, l)
			i += l
		default:
			e.literal(b)
			i++
		}
	}
}

// code is a Huffman code, bit-reversed for the LSB-first stream, with any
// extra bits above it; n is the total number of bits.
type code struct {
	code uint32
	n    uint8
}

// litCodes are the fixed literal/length codes (RFC 1951 §3.2.6).
var litCodes = func() (t [286]code) {
	for v := range t {
		var c, n int
		switch {
		case v < 144:
			c, n = 0x30+v, 8
		case v < 256:
			c, n = 0x190+v-144, 9
		case v < 280:
			c, n = v-256, 7
		default:
			c, n = 0xC0+v-280, 8
		}
		t[v] = code{reverse(c, n), uint8(n)}
	}
	return t
}()

// lenCodes[n-3] is the code of a match of n bytes, extra bits included.
var lenCodes = func() (t [maxMatch - minMatch + 1]code) {
	base := [...]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	extra := [...]int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	for l := minMatch; l <= maxMatch; l++ {
		k := len(base) - 1
		for base[k] > l {
			k--
		}
		c := litCodes[257+k]
		t[l-minMatch] = code{c.code | uint32(l-base[k])<<c.n, c.n + uint8(extra[k])}
	}
	return t
}()

// distBits is the code of distance d (1 to 32768) with its extra bits.
func distBits(d int) (uint32, uint) {
	base := [...]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	k := len(base) - 1
	for base[k] > d {
		k--
	}
	extra := 0
	if k >= 4 {
		extra = k/2 - 1
	}
	return reverse(k, 5) | uint32(d-base[k])<<5, uint(5 + extra)
}

// reverse is the n lowest bits of c in reverse order.
func reverse(c, n int) uint32 {
	r := uint32(0)
	for range n {
		r = r<<1 | uint32(c&1)
		c >>= 1
	}
	return r
}
