package chart

import (
	"fmt"
	"image"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The chart's one font, Liberation Sans Regular, and its palette are made
// on the first Render rather than at package initialisation: a daemon that
// never draws a chart never touches them.
var (
	fontOnce sync.Once
	sans     *sfnt.Font
	errSans  error
)

func sansFont() (*sfnt.Font, error) {
	fontOnce.Do(func() {
		makePalette()
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

// newFaces returns faces of the tick, label and legend sizes.
func newFaces() ([3]font.Face, error) {
	var faces [3]font.Face
	f, err := sansFont()
	if err != nil {
		return faces, err
	}
	for i, size := range []float64{tickSize, labelSize, legendSize} {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingFull})
		if err != nil {
			return faces, fmt.Errorf("chart font face: %w", err)
		}
		faces[i] = face
	}
	return faces, nil
}

// eachGlyph calls f with the mask of every glyph of s, set from a baseline
// starting at (x, y). Like font.Drawer, but without kerning next to a
// space: Liberation Sans kerns " A" by two of a 9 pt space's three pixels,
// which runs "Discord API" together.
func eachGlyph(face font.Face, x, y int, s string, f func(dr image.Rectangle, mask image.Image, mp image.Point)) {
	dot := fixed.P(x, y)
	prev := rune(-1)
	for _, c := range s {
		dot.X += kern(face, prev, c)
		dr, mask, mp, adv, ok := face.Glyph(dot, c)
		if ok {
			f(dr, mask, mp)
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

// textWidth is the width text gives s, in whole pixels.
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

// text draws s in black with its baseline's left end at (x, y).
func (r *renderer) text(face font.Face, x, y int, s string) {
	eachGlyph(face, x, y, s, func(dr image.Rectangle, mask image.Image, mp image.Point) {
		dr = dr.Intersect(r.img.Rect)
		for py := dr.Min.Y; py < dr.Max.Y; py++ {
			for px := dr.Min.X; px < dr.Max.X; px++ {
				if a := alphaAt(mask, mp.X+px-dr.Min.X, mp.Y+py-dr.Min.Y); a != 0 {
					r.blend(r.img.PixOffset(px, py), colorText, a)
				}
			}
		}
	})
}

// verticalText draws s reading upwards, its top at column x, centred on
// row y: set level in r.mask first, then turned a quarter anticlockwise.
func (r *renderer) verticalText(face font.Face, x, y int, s string) {
	w := r.textWidth(face, s)
	m := face.Metrics()
	asc, h := m.Ascent.Ceil(), m.Ascent.Ceil()+m.Descent.Ceil()
	r.useMask(w, h)
	eachGlyph(face, 0, asc, s, func(dr image.Rectangle, mask image.Image, mp image.Point) {
		dr = dr.Intersect(r.mask.Rect)
		for py := dr.Min.Y; py < dr.Max.Y; py++ {
			for px := dr.Min.X; px < dr.Max.X; px++ {
				i := r.mask.PixOffset(px, py)
				r.mask.Pix[i] = max(r.mask.Pix[i], alphaAt(mask, mp.X+px-dr.Min.X, mp.Y+py-dr.Min.Y))
			}
		}
	})
	// The mask's (mx, my) lands at (x+my, y+w/2-1-mx).
	for my := range h {
		for mx := range w {
			a := r.mask.Pix[r.mask.PixOffset(mx, my)]
			if p := (image.Point{X: x + my, Y: y + w/2 - 1 - mx}); a != 0 && p.In(r.img.Rect) {
				r.blend(r.img.PixOffset(p.X, p.Y), colorText, a)
			}
		}
	}
}

// alphaAt is a glyph mask's coverage at (x, y): opentype's masks are
// *image.Alpha.
func alphaAt(mask image.Image, x, y int) uint8 {
	if a, ok := mask.(*image.Alpha); ok {
		return a.AlphaAt(x, y).A
	}
	_, _, _, a := mask.At(x, y).RGBA()
	return uint8(a >> 8)
}
