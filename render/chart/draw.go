package chart

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"time"

	"github.com/nexusmon/nexusmon/render/chart/internal/pngenc"
	"golang.org/x/image/font"
	"golang.org/x/image/vector"
)

// renderer draws one chart at a time; Render takes one from renderers, so
// its buffers are reused across charts.
//
// The canvas is the paletted image the PNG encodes: every drawing blends
// with what is under it and takes the nearest palette colour, so there is
// no full-colour canvas to allocate and copy.
type renderer struct {
	img   *image.Paletted
	index map[color.RGBA]uint8 // nearest palette entry; the mapping never changes
	rast  vector.Rasterizer
	mask  image.Alpha // a strip of a line's coverage, or a line of text
	pts   []float32   // a line's points, x and y interleaved

	tick, label, legend font.Face // faces of the one font; not safe for concurrent use, hence one set per renderer

	start, end time.Time // the chart's window

	png pngenc.Encoder // its row and chunk buffers are kept for the next chart
}

// init allocates r's canvas and faces the first time r is used.
func (r *renderer) init() error {
	if r.img != nil {
		return nil
	}
	faces, err := newFaces()
	if err != nil {
		return err
	}
	r.tick, r.label, r.legend = faces[0], faces[1], faces[2]
	r.img = image.NewPaletted(image.Rect(0, 0, Width, Height), chartPalette)
	r.index = make(map[color.RGBA]uint8, 512)
	return nil
}

// clear paints the canvas white (palette index 0).
func (r *renderer) clear() {
	clear(r.img.Pix)
}

// indexOf is the palette entry nearest c.
func (r *renderer) indexOf(c color.RGBA) uint8 {
	i, ok := r.index[c]
	if !ok {
		i = uint8(chartPalette.Index(c))
		r.index[c] = i
	}
	return i
}

// fill paints rect (clipped to the canvas) in col.
func (r *renderer) fill(rect image.Rectangle, col color.RGBA) {
	rect = rect.Intersect(r.img.Rect)
	i := r.indexOf(col)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		row := r.img.Pix[r.img.PixOffset(rect.Min.X, y):r.img.PixOffset(rect.Max.X, y)]
		for x := range row {
			row[x] = i
		}
	}
}

// blend covers the pixel at off with col at coverage a (0–255).
func (r *renderer) blend(off int, col color.RGBA, a uint8) {
	if a == 0xFF {
		r.img.Pix[off] = r.indexOf(col)
		return
	}
	under := paletteRGBA[r.img.Pix[off]]
	mix := func(u, c uint8) uint8 { return uint8((int(u)*(0xFF-int(a)) + int(c)*int(a) + 0x7F) / 0xFF) }
	r.img.Pix[off] = r.indexOf(color.RGBA{R: mix(under.R, col.R), G: mix(under.G, col.G), B: mix(under.B, col.B), A: 0xFF})
}

// paint covers the canvas with col through r.mask, the mask's origin at at.
func (r *renderer) paint(at image.Point, col color.RGBA) {
	m := &r.mask
	for y := range m.Rect.Dy() {
		cy := at.Y + y
		if cy < 0 || cy >= Height {
			continue
		}
		row := m.Pix[y*m.Stride : y*m.Stride+m.Rect.Dx()]
		for x, a := range row {
			if cx := at.X + x; a != 0 && cx >= 0 && cx < Width {
				r.blend(r.img.PixOffset(cx, cy), col, a)
			}
		}
	}
}

// useMask sizes r.mask to w×h, cleared, reusing its pixels.
func (r *renderer) useMask(w, h int) {
	if n := w * h; n > cap(r.mask.Pix) {
		r.mask.Pix = make([]uint8, n)
	} else {
		r.mask.Pix = r.mask.Pix[:n]
		clear(r.mask.Pix)
	}
	r.mask.Stride, r.mask.Rect = w, image.Rect(0, 0, w, h)
}

// dashedRow draws a dashed horizontal line from x0 to x1, thick rows from
// row down.
func (r *renderer) dashedRow(x0, x1, row, thick int, col color.RGBA) {
	for x := x0; x < x1; x += dashOn + dashOff {
		r.fill(image.Rect(x, row, min(x+dashOn, x1), row+thick), col)
	}
}

// polyline draws s's samples in the window as one anti-aliased line in
// p's plot area, lineWidth wide with butt ends and sharp turns rounded.
//
// The whole line is one path, so where two segments meet their coverage
// adds up to the line's (segments drawn one by one would leave a pale dot
// at every join), but it is rasterised in strips of stripWidth columns, so
// the rasterizer's buffer is a strip's, not the plot's.
func (r *renderer) polyline(p *panel, s series) {
	r.pts = r.pts[:0]
	top, bottom := float64(p.area.Min.Y), float64(p.area.Max.Y)
	for _, v := range s.samples {
		if !r.inWindow(v) {
			continue
		}
		x := r.x(float64(v.At.UnixMilli()) / 1e3)
		y := math.Min(math.Max(p.y(v.Value), top), bottom)
		r.pts = append(r.pts, float32(x), float32(y))
	}
	if len(r.pts) == 0 {
		return
	}
	for sx := p.area.Min.X - 2; sx < p.area.Max.X+2; sx += stripWidth {
		// The rows the strip's part of the line spans, then that part.
		y0, y1 := math.MaxInt, math.MinInt
		r.eachShape(sx, func(x0, ya, x1, yb float32, join bool) {
			y0 = min(y0, int(math.Floor(float64(min(ya, yb)-lineWidth))))
			y1 = max(y1, int(math.Ceil(float64(max(ya, yb)+lineWidth))))
		})
		if y0 >= y1 {
			continue
		}
		ox, oy := float32(sx), float32(y0)
		r.rast.Reset(stripWidth, y1-y0)
		r.rast.DrawOp = draw.Src
		r.eachShape(sx, func(x0, ya, x1, yb float32, join bool) {
			r.shape(x0-ox, ya-oy, x1-ox, yb-oy, join)
		})
		r.useMask(stripWidth, y1-y0)
		r.rast.Draw(&r.mask, r.mask.Rect, image.Opaque, image.Point{})
		r.paint(image.Point{X: sx, Y: y0}, s.col)
	}
}

// stripWidth is the width polyline rasterises at once.
const stripWidth = 64

// eachShape calls f with the segments of r.pts that reach into the strip
// of columns from sx, and whether the line turns sharply at a segment's
// end; a single point is a segment of no length.
func (r *renderer) eachShape(sx int, f func(x0, y0, x1, y1 float32, join bool)) {
	lo, hi := float32(sx)-lineWidth, float32(sx+stripWidth)+lineWidth
	pts := r.pts
	if len(pts) == 2 {
		if pts[0] >= lo && pts[0] <= hi {
			f(pts[0], pts[1], pts[0], pts[1], true)
		}
		return
	}
	for i := 0; i+3 < len(pts); i += 2 {
		x0, y0, x1, y1 := pts[i], pts[i+1], pts[i+2], pts[i+3]
		if max(x0, x1) < lo || min(x0, x1) > hi {
			continue
		}
		f(x0, y0, x1, y1, i+5 < len(pts) && sharpTurn(x0, y0, x1, y1, pts[i+4], pts[i+5]))
	}
}

// shape adds the segment from (x0, y0) to (x1, y1), lineWidth wide, to the
// rasterizer, with a disc at its end when join is set.
func (r *renderer) shape(x0, y0, x1, y1 float32, join bool) {
	const hw = lineWidth / 2
	if dx, dy := x1-x0, y1-y0; dx != 0 || dy != 0 {
		l := float32(math.Hypot(float64(dx), float64(dy)))
		nx, ny := -dy/l*hw, dx/l*hw // the left normal, half the width long
		// Every shape is wound the same way, so where they overlap (at
		// the joins) coverage adds up and saturates instead of cancelling.
		r.rast.MoveTo(x0+nx, y0+ny)
		r.rast.LineTo(x1+nx, y1+ny)
		r.rast.LineTo(x1-nx, y1-ny)
		r.rast.LineTo(x0-nx, y0-ny)
		r.rast.ClosePath()
	}
	if join {
		r.disc(x1, y1, hw)
	}
}

// sharpTurn reports whether the line turns by more than 30° at (x1, y1).
// Only there does a join need rounding: elsewhere the gap and overlap of
// two segments' ends are far below a pixel.
func sharpTurn(x0, y0, x1, y1, x2, y2 float32) bool {
	ax, ay, bx, by := x1-x0, y1-y0, x2-x1, y2-y1
	dot, la, lb := ax*bx+ay*by, math.Hypot(float64(ax), float64(ay)), math.Hypot(float64(bx), float64(by))
	return la > 0 && lb > 0 && float64(dot) < math.Cos(math.Pi/6)*la*lb
}

// disc adds an octagon of radius rad around (x, y): a round join or dot,
// wound like shape's quad.
func (r *renderer) disc(x, y, rad float32) {
	for k := range 8 {
		a := -float64(k) * math.Pi / 4
		px, py := x+rad*float32(math.Cos(a)), y+rad*float32(math.Sin(a))
		if k == 0 {
			r.rast.MoveTo(px, py)
		} else {
			r.rast.LineTo(px, py)
		}
	}
	r.rast.ClosePath()
}

// chartPalette is every colour the chart draws, each also blended with the
// white background in 15 steps (what anti-aliased edges are made of), so a
// paletted PNG keeps the chart's look. A paletted PNG encodes several times
// faster than an RGBA one (no per-row filtering, a quarter of the bytes) and
// is smaller, which keeps the health report within its 30 ms budget.
// paletteRGBA is the same colours, for blending. Both are made on the first
// Render (see sansFont).
var (
	chartPalette color.Palette
	paletteRGBA  []color.RGBA
)

func makePalette() {
	bases := []color.RGBA{colorText, colorGrid, colorWarning, colorCritical, colorCPU, colorMemory, colorGateway, colorAPI}
	paletteRGBA = make([]color.RGBA, 0, 1+15*len(bases))
	paletteRGBA = append(paletteRGBA, color.RGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF})
	for _, b := range bases {
		for k := 1; k <= 15; k++ {
			mix := func(c uint8) uint8 { return uint8((int(c)*k + 0xFF*(15-k) + 7) / 15) }
			paletteRGBA = append(paletteRGBA, color.RGBA{R: mix(b.R), G: mix(b.G), B: mix(b.B), A: 0xFF})
		}
	}
	chartPalette = make(color.Palette, len(paletteRGBA))
	for i, c := range paletteRGBA {
		chartPalette[i] = c
	}
}
