package pngenc

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"
)

// palette returns n distinct opaque colours.
func palette(n int) color.Palette {
	p := make(color.Palette, n)
	for i := range p {
		p[i] = color.RGBA{R: uint8(i), G: uint8(255 - i), B: uint8(i * 7), A: 0xFF}
	}
	return p
}

// encode encodes m with a fresh Encoder.
func encode(t *testing.T, m *image.Paletted) []byte {
	t.Helper()
	var buf bytes.Buffer
	var e Encoder
	if err := e.Encode(&buf, m); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return buf.Bytes()
}

// roundTrip encodes m, decodes it with image/png and compares the palette
// and every pixel; it returns the PNG.
func roundTrip(t *testing.T, m *image.Paletted) []byte {
	t.Helper()
	b := encode(t, m)
	check(t, m, b)
	return b
}

func check(t *testing.T, m *image.Paletted, b []byte) {
	t.Helper()
	got, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %dx%d: %v", m.Rect.Dx(), m.Rect.Dy(), err)
	}
	p, ok := got.(*image.Paletted)
	if !ok {
		t.Fatalf("decoded a %T, want *image.Paletted", got)
	}
	if p.Rect.Dx() != m.Rect.Dx() || p.Rect.Dy() != m.Rect.Dy() {
		t.Fatalf("size %v, want %v", p.Rect.Size(), m.Rect.Size())
	}
	if len(p.Palette) != len(m.Palette) {
		t.Fatalf("palette of %d colours, want %d", len(p.Palette), len(m.Palette))
	}
	for i := range m.Palette {
		r0, g0, b0, a0 := m.Palette[i].RGBA()
		r1, g1, b1, a1 := p.Palette[i].RGBA()
		if r0>>8 != r1>>8 || g0>>8 != g1>>8 || b0>>8 != b1>>8 || a0>>8 != a1>>8 {
			t.Fatalf("palette[%d] = %v, want %v", i, p.Palette[i], m.Palette[i])
		}
	}
	for y := 0; y < m.Rect.Dy(); y++ {
		for x := 0; x < m.Rect.Dx(); x++ {
			if g, w := p.ColorIndexAt(x, y), m.ColorIndexAt(m.Rect.Min.X+x, m.Rect.Min.Y+y); g != w {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, g, w)
			}
		}
	}
}

// chunks lists the chunk types of a PNG, in order.
func chunks(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for i := 8; i+8 <= len(b); {
		n := int(b[i])<<24 | int(b[i+1])<<16 | int(b[i+2])<<8 | int(b[i+3])
		out = append(out, string(b[i+4:i+8]))
		i += 12 + n
	}
	return out
}

// header is the most a PNG of a 256-colour palette spends besides its
// IDAT data: signature, IHDR, PLTE, tRNS, IEND, the zlib header and
// checksum.
const header = 8 + 25 + 12 + 768 + 12 + 256 + 12 + 6

func TestEncode_noise(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewPaletted(image.Rect(0, 0, 300, 200), palette(256))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.Uint32())
	}
	b := roundTrip(t, m)
	raw := 200 * (300 + 1)
	// Literals cost at most 9 bits; IDAT chunks of chunkSize add 12 bytes each.
	limit := raw*9/8 + header + 12*(raw*9/8/chunkSize+1)
	if len(b) > limit {
		t.Errorf("noise: %d bytes, want at most %d (raw %d)", len(b), limit, raw)
	}
}

func TestEncode_tiny(t *testing.T) {
	t.Parallel()
	for _, size := range []image.Point{{1, 1}, {1, 2}, {2, 1}, {1, 600}, {600, 1}, {2, 300}, {3, 3}} {
		for _, fill := range []func(i int) uint8{
			func(int) uint8 { return 0 },
			func(int) uint8 { return 255 },
			func(i int) uint8 { return uint8(i % 3) },
			func(i int) uint8 { return uint8(i * 37) },
		} {
			m := image.NewPaletted(image.Rectangle{Max: size}, palette(256))
			for i := range m.Pix {
				m.Pix[i] = fill(i)
			}
			roundTrip(t, m)
		}
	}
}

// Runs of every length around the 258 limit, laid row after row so that
// they cross row boundaries, in several widths.
func TestEncode_runs(t *testing.T) {
	t.Parallel()
	for _, w := range []int{1, 2, 3, 7, 100, 257, 258, 259, 800} {
		var pix []uint8
		c := uint8(0)
		for _, n := range []int{1, 2, 3, 4, 255, 256, 257, 258, 259, 260, 515, 516, 517, 518, 1000, 3, 1, 2, 300} {
			for range n {
				pix = append(pix, c)
			}
			c = (c + 1) % 5
		}
		h := (len(pix) + w - 1) / w
		m := image.NewPaletted(image.Rect(0, 0, w, h), palette(5))
		copy(m.Pix, pix)
		roundTrip(t, m)
	}
}

// A single colour is one long run (distance 1): about 13 bits per 258
// bytes.
func TestEncode_constant(t *testing.T) {
	t.Parallel()
	m := image.NewPaletted(image.Rect(0, 0, 800, 400), palette(2))
	for i := range m.Pix {
		m.Pix[i] = 1
	}
	b := roundTrip(t, m)
	if raw := 400 * 801; len(b) > header+raw*13/8/258+100 {
		t.Errorf("constant 800x400: %d bytes, want about %d", len(b), header+raw*13/8/258)
	}
}

// Rows that repeat the row above (vertical lines over noise-like rows) are
// copies from the row above (distance width+1), up to the largest distance
// deflate has, 32768; wider images only use runs, and must still decode.
func TestEncode_rowCopies(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, w := range []int{5, 800, 32767, 32768, 40000} {
		m := image.NewPaletted(image.Rect(0, 0, w, 6), palette(256))
		row := m.Pix[:w]
		for i := range row {
			row[i] = uint8(rng.Uint32())
		}
		for y := 1; y < 6; y++ {
			copy(m.Pix[y*w:], row)
		}
		m.Pix[3*w+w/2] ^= 1 // one pixel differs: the copy breaks and resumes
		b := roundTrip(t, m)
		raw := w + 1
		if w+1 <= 32768 {
			// One row of literals and copies of it: well under two rows.
			if len(b) > header+raw*9/8+raw/2+100 {
				t.Errorf("width %d: %d bytes for 6 identical rows, want about one row (%d)", w, len(b), raw*9/8)
			}
		}
	}
}

func TestEncode_palettes(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 16, 256} {
		m := image.NewPaletted(image.Rect(0, 0, 37, 23), palette(n))
		for i := range m.Pix {
			m.Pix[i] = uint8((i / 5) % n)
		}
		b := roundTrip(t, m)
		if got := chunks(t, b); len(got) != 4 || got[0] != "IHDR" || got[1] != "PLTE" || got[2] != "IDAT" || got[3] != "IEND" {
			t.Errorf("%d colours: chunks %v, want IHDR PLTE IDAT IEND", n, got)
		}
	}
	// A translucent colour adds tRNS, up to the last non-opaque entry.
	p := palette(16)
	p[3] = color.NRGBA{R: 10, G: 20, B: 30, A: 0x80}
	p[5] = color.RGBA{} // transparent
	m := image.NewPaletted(image.Rect(0, 0, 16, 4), p)
	for i := range m.Pix {
		m.Pix[i] = uint8(i % 16)
	}
	b := roundTrip(t, m)
	if got := chunks(t, b); len(got) != 5 || got[2] != "tRNS" {
		t.Errorf("translucent palette: chunks %v, want IHDR PLTE tRNS IDAT IEND", got)
	}
}

// A sub-image: its rectangle does not start at 0 and its stride is wider
// than its width.
func TestEncode_subImage(t *testing.T) {
	t.Parallel()
	m := image.NewPaletted(image.Rect(0, 0, 50, 40), palette(7))
	for i := range m.Pix {
		m.Pix[i] = uint8(i % 7)
	}
	roundTrip(t, m.SubImage(image.Rect(5, 3, 44, 38)).(*image.Paletted))
}

// One Encoder encodes many images of different sizes.
func TestEncode_reuse(t *testing.T) {
	t.Parallel()
	var e Encoder
	for _, w := range []int{800, 3, 1, 1200, 800} {
		m := image.NewPaletted(image.Rect(0, 0, w, 17), palette(9))
		for i := range m.Pix {
			m.Pix[i] = uint8((i / 11) % 9)
		}
		var buf bytes.Buffer
		if err := e.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		check(t, m, buf.Bytes())
	}
}

func TestEncode_invalid(t *testing.T) {
	t.Parallel()
	var e Encoder
	for name, m := range map[string]*image.Paletted{
		"empty":          image.NewPaletted(image.Rect(0, 0, 0, 5), palette(2)),
		"no palette":     image.NewPaletted(image.Rect(0, 0, 2, 2), nil),
		"palette of 257": image.NewPaletted(image.Rect(0, 0, 2, 2), append(palette(256), color.Black)),
	} {
		if err := e.Encode(&bytes.Buffer{}, m); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// chartLike is an 800×400 image like the health chart: white, a grid, a
// few lines and some text-like noise.
func chartLike() *image.Paletted {
	m := image.NewPaletted(image.Rect(0, 0, 800, 400), palette(121))
	rng := rand.New(rand.NewPCG(5, 6))
	for y := 10; y < 346; y += 40 {
		for x := 72; x < 690; x++ {
			m.Pix[y*800+x] = 20
		}
	}
	for x := 72; x < 690; x += 100 {
		for y := 10; y < 346; y++ {
			m.Pix[y*800+x] = 20
		}
	}
	for x := 72; x < 690; x++ {
		y := 100 + int(30*float64(x%50)/50)
		m.Pix[y*800+x], m.Pix[(y+1)*800+x] = 60, 61
	}
	for y := 360; y < 380; y++ {
		for x := 100; x < 600; x++ {
			if rng.IntN(4) == 0 {
				m.Pix[y*800+x] = uint8(rng.IntN(16))
			}
		}
	}
	return m
}

// TestEncode_allocBudget: encoding an 800×400 chart with a fresh Encoder
// (nothing reused) allocates the row buffers, the IDAT buffer and the
// output, not a compressor (image/png allocates about 1.2 MB for it).
func TestEncode_allocBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocation")
	}
	m := chartLike()
	least := uint64(1 << 62)
	var before, after runtime.MemStats
	for range 5 {
		runtime.ReadMemStats(&before)
		var buf bytes.Buffer
		buf.Grow(16 << 10) // the PNG is about 13 KB
		var e Encoder
		if err := e.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	check(t, m, encode(t, m))
	const budget = 64 << 10
	if least > budget {
		t.Errorf("encoding an 800x400 chart allocates %d bytes, budget %d", least, budget)
	}
}

func BenchmarkEncode(b *testing.B) {
	m := chartLike()
	var e Encoder
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := e.Encode(&buf, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}

func BenchmarkEncode_imagePNG(b *testing.B) {
	m := chartLike()
	e := png.Encoder{CompressionLevel: png.BestSpeed}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := e.Encode(&buf, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}

// Narrow images of few colours: matches start near the ends of rows, go
// on into the next or end there after one or two bytes.
func TestEncode_narrowRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for w := 1; w <= 6; w++ {
		for colours := 1; colours <= 3; colours++ {
			for range 30 {
				m := image.NewPaletted(image.Rect(0, 0, w, 1+rng.IntN(40)), palette(colours))
				for i := range m.Pix {
					m.Pix[i] = uint8(rng.IntN(colours))
				}
				roundTrip(t, m)
			}
		}
	}
}
