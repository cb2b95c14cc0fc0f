package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"math"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// The health chart: two stacked panels over the report's window, usage
// (CPU % and memory %, 0–100) on top and latency (gateway and Discord API,
// ms) below, each with its warning and critical lines dashed.
const (
	Width    = 800 // pixels
	Height   = 400
	chartDPI = 96
)

// Chart colours. The threshold colours are the embed colours of the Fair
// and Poor levels, so a line means what the same colour means elsewhere.
var (
	colorWarning  = color.RGBA{R: 0xE6, G: 0x7E, B: 0x22, A: 0xFF}
	colorCritical = color.RGBA{R: 0xE7, G: 0x4C, B: 0x3C, A: 0xFF}
	colorCPU      = color.RGBA{R: 0x34, G: 0x98, B: 0xDB, A: 0xFF}
	colorMemory   = color.RGBA{R: 0x8E, G: 0x44, B: 0xAD, A: 0xFF}
	colorGateway  = color.RGBA{R: 0x16, G: 0xA0, B: 0x85, A: 0xFF}
	colorAPI      = color.RGBA{R: 0x2C, G: 0x3E, B: 0x50, A: 0xFF}
	chartDashes   = []vg.Length{vg.Points(6), vg.Points(4)}
)

// Render draws in as an 800×400 PNG. Legends sit in a column right of
// the panels, so they never hide a line.
func Render(in reportdata.HealthChart) ([]byte, error) {
	if !in.End.After(in.Start) {
		in.Start = in.End.Add(-time.Hour)
	}
	x0, x1 := float64(in.Start.Unix()), float64(in.End.Unix())

	usage, usageLegend := newPanel("Usage (%)")
	usage.HideX()
	if err := addSeries(usage, &usageLegend, "CPU %", in.CPU, colorCPU, in.Start, in.End); err != nil {
		return nil, err
	}
	if err := addSeries(usage, &usageLegend, "memory %", in.Memory, colorMemory, in.Start, in.End); err != nil {
		return nil, err
	}
	drawn := false
	for _, th := range []health.Thresholds{in.CPUTh, in.MemoryTh} {
		added, err := addThresholds(usage, th, x0, x1)
		if err != nil {
			return nil, err
		}
		drawn = drawn || added
	}

	lat, latLegend := newPanel("Latency (ms)")
	lat.X.Tick.Marker = timeTicks{}
	lat.X.Label.Text = "UTC"
	lat.Y.Tick.Marker = plainTicks{}
	if err := addSeries(lat, &latLegend, "gateway", in.Gateway, colorGateway, in.Start, in.End); err != nil {
		return nil, err
	}
	if err := addSeries(lat, &latLegend, "Discord API", in.API, colorAPI, in.Start, in.End); err != nil {
		return nil, err
	}
	latLines, err := addThresholds(lat, in.LatencyTh, x0, x1)
	if err != nil {
		return nil, err
	}
	if drawn || latLines {
		for _, t := range []struct {
			name string
			col  color.Color
		}{{"warning", colorWarning}, {"critical", colorCritical}} {
			usageLegend.Add(t.name, thresholdThumb(t.col))
		}
	}

	// Fixed axes: the window, 0–100 % (wider only if a line is beyond),
	// and latency from 0 to above the data and the critical line, so both
	// threshold lines are always in view.
	usage.X.Min, usage.X.Max = x0, x1
	lat.X.Min, lat.X.Max = x0, x1
	usage.Y.Min, usage.Y.Max = 0, math.Max(100, usage.Y.Max)
	top := lat.Y.Max
	if !(top > 0) || math.IsInf(top, 0) {
		top = 1
	}
	lat.Y.Min, lat.Y.Max = 0, top*1.15

	canvas := chartImages.Get().(*image.RGBA)
	defer func() {
		clear(canvas.Pix) // back to NewRGBA's state: transparent
		chartImages.Put(canvas)
	}()
	c := vgimg.NewWith(vgimg.UseImage(canvas), vgimg.UseDPI(chartDPI))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(4), PadLeft: vg.Points(4),
		PadRight: chartLegendWidth, PadY: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{usage}, {lat}}, tiles, dc)
	for i, p := range []*plot.Plot{usage, lat} {
		pc := canvases[i][0]
		p.Draw(pc)
		legend := []plot.Legend{usageLegend, latLegend}[i]
		da := p.DataCanvas(pc)
		legend.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: pc.Max.X + vg.Points(8), Y: da.Min.Y},
			Max: vg.Point{X: dc.Max.X - vg.Points(2), Y: da.Max.Y},
		}})
	}

	var buf bytes.Buffer
	buf.Grow(32 << 10)
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &chartPNGBuffers}
	img, ok := c.Image().(*image.RGBA)
	if !ok { // the canvas draws on a copy; gg's copies are RGBA, but be safe
		img = image.NewRGBA(c.Image().Bounds())
		stddraw.Draw(img, img.Bounds(), c.Image(), img.Bounds().Min, stddraw.Src)
	}
	if err := enc.Encode(&buf, toPaletted(img)); err != nil {
		return nil, fmt.Errorf("encode %s: %w", reportdata.ChartFile, err)
	}
	return buf.Bytes(), nil
}

// Charts are drawn every health report (every second in a 1 s test run):
// the 1.3 MB canvas and the PNG encoder's compressor are reused rather than
// left to the garbage collector each time.
var (
	chartImages     = sync.Pool{New: func() any { return image.NewRGBA(image.Rect(0, 0, Width, Height)) }}
	chartPNGBuffers pngBufferPool
)

// pngBufferPool is a png.EncoderBufferPool backed by a sync.Pool.
type pngBufferPool struct{ p sync.Pool }

func (b *pngBufferPool) Get() *png.EncoderBuffer {
	if v, ok := b.p.Get().(*png.EncoderBuffer); ok {
		return v
	}
	return nil
}

func (b *pngBufferPool) Put(v *png.EncoderBuffer) { b.p.Put(v) }

// chartLegendWidth is the column right of the panels that holds the legends.
var chartLegendWidth = vg.Points(78)

func newPanel(ylabel string) (*plot.Plot, plot.Legend) {
	p := plot.New()
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(14)
	l.TextStyle.Font.Size = vg.Points(9)
	l.Padding = vg.Points(2)
	return p, l
}

// addSeries draws one solid line and names it in legend; an empty series
// adds nothing.
func addSeries(p *plot.Plot, legend *plot.Legend, name string, samples []health.Sample, col color.Color, start, end time.Time) error {
	pts := make(plotter.XYs, 0, len(samples))
	for _, s := range samples {
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || s.At.Before(start) || s.At.After(end) {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(s.At.UnixMilli()) / 1e3, Y: s.Value})
	}
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("chart %s: %w", name, err)
	}
	l.Color = col
	l.Width = vg.Points(1.5)
	p.Add(l)
	legend.Add(name, l)
	return nil
}

// addThresholds draws th's warning and critical lines, dashed, across
// [x0, x1]. It reports whether it drew them.
func addThresholds(p *plot.Plot, th health.Thresholds, x0, x1 float64) (bool, error) {
	if !usableThresholds(th) {
		return false, nil
	}
	for _, t := range []struct {
		name string
		v    float64
		col  color.Color
	}{{"warning", th.Warning, colorWarning}, {"critical", th.Critical, colorCritical}} {
		l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: t.v}, {X: x1, Y: t.v}})
		if err != nil {
			return false, fmt.Errorf("chart %s line: %w", t.name, err)
		}
		l.Color = t.col
		l.Width = vg.Points(1.5)
		l.Dashes = chartDashes
		p.Add(l)
	}
	return true, nil
}

// thresholdThumb is the legend entry of a threshold line.
func thresholdThumb(col color.Color) plot.Thumbnailer {
	l := &plotter.Line{}
	l.Color = col
	l.Width = vg.Points(1.5)
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	return l
}

func usableThresholds(th health.Thresholds) bool {
	return th.Warning > 0 && th.Critical >= th.Warning && !math.IsInf(th.Critical, 0) && !math.IsNaN(th.Critical)
}

// timeTicks labels the time axis every 10 minutes ("15:04", UTC), with
// minor ticks every 5; longer windows get proportionally wider steps.
type timeTicks struct{}

func (timeTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	step := 600.0
	for span/step > 8 {
		step *= 2
	}
	minor := step / 2
	var out []plot.Tick
	for v := math.Ceil(lo/minor) * minor; v <= hi; v += minor {
		t := plot.Tick{Value: v}
		if math.Mod(v, step) == 0 {
			t.Label = time.Unix(int64(v), 0).UTC().Format("15:04")
		}
		out = append(out, t)
	}
	return out
}

// plainTicks are gonum's default ticks with labels in the shortest form
// ("250" rather than "250.00").
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	return ticks
}

// chartPalette is every colour the chart draws, each also blended with the
// white background in 15 steps (what anti-aliased edges are made of), so a
// paletted PNG keeps the chart's look. A paletted PNG encodes several times
// faster than an RGBA one (no per-row filtering, a quarter of the bytes) and
// is smaller, which keeps the health report within its 30 ms budget.
var chartPalette = func() color.Palette {
	bases := []color.RGBA{
		{A: 0xFF},                            // text, axes
		{R: 0xBF, G: 0xBF, B: 0xBF, A: 0xFF}, // grid
		colorWarning, colorCritical, colorCPU, colorMemory, colorGateway, colorAPI,
	}
	p := color.Palette{color.RGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}}
	for _, b := range bases {
		for k := 1; k <= 15; k++ {
			mix := func(c uint8) uint8 { return uint8((int(c)*k + 0xFF*(15-k) + 7) / 15) }
			p = append(p, color.RGBA{R: mix(b.R), G: mix(b.G), B: mix(b.B), A: 0xFF})
		}
	}
	return p
}()

// toPaletted maps src (opaque) onto chartPalette, nearest colour first.
// Most pixels are background white, and the rest repeat a few hundred
// colours, so each distinct colour is matched once.
func toPaletted(src *image.RGBA) *image.Paletted {
	b := src.Bounds()
	dst := image.NewPaletted(b, chartPalette)
	cache := make(map[uint32]uint8, 512)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := src.Pix[(y-b.Min.Y)*src.Stride:]
		out := dst.Pix[(y-b.Min.Y)*dst.Stride:]
		for x := 0; x < b.Dx(); x++ {
			r, g, bl := row[4*x], row[4*x+1], row[4*x+2]
			if r == 0xFF && g == 0xFF && bl == 0xFF {
				continue // index 0 is white
			}
			key := uint32(r)<<16 | uint32(g)<<8 | uint32(bl)
			i, ok := cache[key]
			if !ok {
				i = uint8(chartPalette.Index(color.RGBA{R: r, G: g, B: bl, A: 0xFF}))
				cache[key] = i
			}
			out[x] = i
		}
	}
	return dst
}
