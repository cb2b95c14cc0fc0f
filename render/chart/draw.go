package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The chart's one font, Liberation Sans Regular, is parsed on the first
// Render rather than at package initialisation: a daemon that never draws
// a chart never touches it.
var (
	fontOnce sync.Once
	sans     *sfnt.Font
	errSans  error
)

func sansFont() (*sfnt.Font, error) {
	fontOnce.Do(func() {
		sans, errSans = opentype.Parse(liberationsansregular.TTF)
		if errSans != nil {
			errSans = fmt.Errorf("parse Liberation Sans: %w", errSans)
		}
	})
	return sans, errSans
}

// Font sizes in points, at 96 dpi.
const (
	dpi        = 96
	tickSize   = 10 // tick labels
	labelSize  = 11 // axis labels
	legendSize = 9
)

// renderer draws one chart at a time; Render takes one from renderers, so
// its buffers are reused across charts.
type renderer struct {
	img      *image.RGBA     // the canvas, drawn opaque
	pal      *image.Paletted // img mapped onto chartPalette, for the PNG
	palIndex map[uint32]uint8
	rast     vector.Rasterizer
	pts      []float32   // a line's points, x and y interleaved
	scratch  *image.RGBA // vertical text, drawn level first
	uniform  image.Uniform

	tick, label, legend font.Face // faces of the one font; not safe for concurrent use, hence one set per renderer

	start, end time.Time // the chart's window
}

// init allocates r's buffers and faces the first time r is used.
func (r *renderer) init(f *sfnt.Font) error {
	if r.img != nil {
		return nil
	}
	faces := make([]font.Face, 0, 3)
	for _, size := range []float64{tickSize, labelSize, legendSize} {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingFull})
		if err != nil {
			return fmt.Errorf("chart font face: %w", err)
		}
		faces = append(faces, face)
	}
	r.tick, r.label, r.legend = faces[0], faces[1], faces[2]
	b := image.Rect(0, 0, Width, Height)
	r.img = image.NewRGBA(b)
	r.pal = image.NewPaletted(b, chartPalette)
	r.palIndex = make(map[uint32]uint8, 512)
	r.scratch = image.NewRGBA(image.Rect(0, 0, 160, 24))
	return nil
}

// clear paints the canvas white.
func (r *renderer) clear() {
	for i := range r.img.Pix {
		r.img.Pix[i] = 0xFF
	}
}

// fill paints rect (clipped to the canvas) in col.
func (r *renderer) fill(rect image.Rectangle, col color.RGBA) {
	rect = rect.Intersect(r.img.Rect)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		row := r.img.Pix[r.img.PixOffset(rect.Min.X, y):r.img.PixOffset(rect.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = col.R, col.G, col.B, 0xFF
		}
	}
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
	// The rasterizer covers the plot area and a margin for the line's
	// width; its coordinates start at the margin's corner.
	box := p.area.Inset(-3)
	ox, oy := float32(box.Min.X), float32(box.Min.Y)
	r.rast.Reset(box.Dx(), box.Dy())
	const hw = lineWidth / 2
	if len(r.pts) == 2 { // one sample: a dot
		r.disc(r.pts[0]-ox, r.pts[1]-oy, hw)
	}
	for i := 0; i+3 < len(r.pts); i += 2 {
		x0, y0 := r.pts[i]-ox, r.pts[i+1]-oy
		x1, y1 := r.pts[i+2]-ox, r.pts[i+3]-oy
		if i+5 < len(r.pts) && sharpTurn(x0, y0, x1, y1, r.pts[i+4]-ox, r.pts[i+5]-oy) {
			r.disc(x1, y1, hw)
		}
		dx, dy := x1-x0, y1-y0
		l := float32(math.Hypot(float64(dx), float64(dy)))
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*hw, dx/l*hw // the left normal, half the width long
		// Every shape is wound the same way, so where they overlap (at
		// the joins) coverage adds up and saturates instead of cancelling.
		r.rast.MoveTo(x0+nx, y0+ny)
		r.rast.LineTo(x1+nx, y1+ny)
		r.rast.LineTo(x1-nx, y1-ny)
		r.rast.LineTo(x0-nx, y0-ny)
		r.rast.ClosePath()
	}
	r.uniform.C = s.col
	r.rast.Draw(r.img, box, &r.uniform, image.Point{})
}

// sharpTurn reports whether the line turns by more than 30° at (x1, y1).
// Only there does a join need rounding: elsewhere the gap and overlap of
// two segments' ends are far below a pixel, and overlapping shapes' edges
// add up, so a disc at every point would show as a bead.
func sharpTurn(x0, y0, x1, y1, x2, y2 float32) bool {
	ax, ay, bx, by := x1-x0, y1-y0, x2-x1, y2-y1
	dot, la, lb := ax*bx+ay*by, math.Hypot(float64(ax), float64(ay)), math.Hypot(float64(bx), float64(by))
	return la > 0 && lb > 0 && float64(dot) < math.Cos(math.Pi/6)*la*lb
}

// disc adds an octagon of radius rad around (x, y): a round join or end,
// wound like polyline's segments.
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

// text draws s in black with its baseline's left end at (x, y).
func (r *renderer) text(face font.Face, x, y int, s string) {
	drawText(r.img, face, x, y, s)
}

// drawText draws s like font.Drawer, but without kerning next to a space:
// Liberation Sans kerns " A" by two of a 9 pt space's three pixels, which
// runs "Discord API" together.
func drawText(dst *image.RGBA, face font.Face, x, y int, s string) {
	dot := fixed.P(x, y)
	prev := rune(-1)
	for _, c := range s {
		dot.X += kern(face, prev, c)
		dr, mask, maskp, adv, ok := face.Glyph(dot, c)
		if ok {
			draw.DrawMask(dst, dr, image.Black, image.Point{}, mask, maskp, draw.Over)
		}
		dot.X += adv
		prev = c
	}
}

func kern(face font.Face, prev, c rune) fixed.Int26_6 {
	if prev < 0 || prev == ' ' || c == ' ' {
		return 0
	}
	return face.Kern(prev, c)
}

// textWidth is the width drawText gives s, in whole pixels.
func (r *renderer) textWidth(face font.Face, s string) int {
	var w fixed.Int26_6
	prev := rune(-1)
	for _, c := range s {
		w += kern(face, prev, c)
		adv, _ := face.GlyphAdvance(c)
		w += adv
		prev = c
	}
	return w.Ceil()
}

// verticalText draws s reading upwards, its top at column x, centred on
// row y.
func (r *renderer) verticalText(face font.Face, x, y int, s string) {
	w := r.textWidth(face, s)
	m := face.Metrics()
	asc, h := m.Ascent.Ceil(), m.Ascent.Ceil()+m.Descent.Ceil()
	if w > r.scratch.Rect.Dx() || h > r.scratch.Rect.Dy() {
		r.scratch = image.NewRGBA(image.Rect(0, 0, max(w, r.scratch.Rect.Dx()), max(h, r.scratch.Rect.Dy())))
	}
	for i := range r.scratch.Pix {
		r.scratch.Pix[i] = 0xFF
	}
	drawText(r.scratch, face, 0, asc, s)
	// Turned a quarter anticlockwise: the scratch's (sx, sy) lands at
	// (x+sy, y+w/2-1-sx).
	for sy := range h {
		for sx := range w {
			src := r.scratch.Pix[r.scratch.PixOffset(sx, sy):]
			if src[0] == 0xFF && src[1] == 0xFF && src[2] == 0xFF {
				continue
			}
			dx, dy := x+sy, y+w/2-1-sx
			if !(image.Point{X: dx, Y: dy}.In(r.img.Rect)) {
				continue
			}
			copy(r.img.Pix[r.img.PixOffset(dx, dy):][:4], src[:4])
		}
	}
}

// chartPalette is every colour the chart draws, each also blended with the
// white background in 15 steps (what anti-aliased edges are made of), so a
// paletted PNG keeps the chart's look. A paletted PNG encodes several times
// faster than an RGBA one (no per-row filtering, a quarter of the bytes) and
// is smaller, which keeps the health report within its 30 ms budget.
var chartPalette = func() color.Palette {
	bases := []color.RGBA{colorText, colorGrid, colorWarning, colorCritical, colorCPU, colorMemory, colorGateway, colorAPI}
	p := color.Palette{color.RGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}}
	for _, b := range bases {
		for k := 1; k <= 15; k++ {
			mix := func(c uint8) uint8 { return uint8((int(c)*k + 0xFF*(15-k) + 7) / 15) }
			p = append(p, color.RGBA{R: mix(b.R), G: mix(b.G), B: mix(b.B), A: 0xFF})
		}
	}
	return p
}()

// paletted maps the canvas onto chartPalette, nearest colour first. Most
// pixels are background white, and the rest repeat a few hundred colours,
// so each distinct colour is matched once (and remembered across charts:
// the mapping never changes).
func (r *renderer) paletted() *image.Paletted {
	src, dst := r.img, r.pal
	for y := range Height {
		row := src.Pix[y*src.Stride:]
		out := dst.Pix[y*dst.Stride:]
		for x := range Width {
			rd, g, b := row[4*x], row[4*x+1], row[4*x+2]
			if rd == 0xFF && g == 0xFF && b == 0xFF {
				out[x] = 0 // index 0 is white
				continue
			}
			key := uint32(rd)<<16 | uint32(g)<<8 | uint32(b)
			i, ok := r.palIndex[key]
			if !ok {
				i = uint8(chartPalette.Index(color.RGBA{R: rd, G: g, B: b, A: 0xFF}))
				r.palIndex[key] = i
			}
			out[x] = i
		}
	}
	return dst
}
