package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// The health chart: two stacked panels over the report's window, usage
// (CPU % and memory %, 0–100) on top and latency (gateway and Discord API,
// ms) below, each with its warning and critical lines dashed.
const (
	Width  = 800 // pixels
	Height = 400
)

// Chart colours. The threshold colours are the embed colours of the Fair
// and Poor levels, so a line means what the same colour means elsewhere.
var (
	colorText     = color.RGBA{A: 0xFF}                            // text, axes, ticks
	colorGrid     = color.RGBA{R: 0xD9, G: 0xD9, B: 0xD9, A: 0xFF} // grid lines
	colorWarning  = color.RGBA{R: 0xE6, G: 0x7E, B: 0x22, A: 0xFF}
	colorCritical = color.RGBA{R: 0xE7, G: 0x4C, B: 0x3C, A: 0xFF}
	colorCPU      = color.RGBA{R: 0x34, G: 0x98, B: 0xDB, A: 0xFF}
	colorMemory   = color.RGBA{R: 0x8E, G: 0x44, B: 0xAD, A: 0xFF}
	colorGateway  = color.RGBA{R: 0x16, G: 0xA0, B: 0x85, A: 0xFF}
	colorAPI      = color.RGBA{R: 0x2C, G: 0x3E, B: 0x50, A: 0xFF}
)

// Layout, in pixels. The plot areas of both panels share their x extent,
// so a time is at the same column in both; the legends sit in a column
// right of the panels, so they never hide a line.
var (
	usageArea   = image.Rect(72, 10, 690, 170) // the usage panel's plot area
	latencyArea = image.Rect(72, 186, 690, 346)
	legendLeft  = usageArea.Max.X + 12 // the legend column: legendLeft to Width
)

const (
	lineWidth   = 2.0 // data and threshold lines (1.5 pt at 96 dpi)
	dashOn      = 8   // threshold dashes: 8 px drawn, 5 px skipped
	dashOff     = 5
	majorTick   = 6 // tick lengths
	minorTick   = 3
	legendThumb = 19 // the line sample of a legend entry
	legendRow   = 15 // one legend entry
)

// maxAxis is the highest top of a y axis; maxTicks bounds the ticks of
// one (niceTicks makes about 3 major and 15 minor).
const (
	maxAxis  = 1e12
	maxTicks = 100
)

// series is one line of a panel.
type series struct {
	name    string
	samples []health.Sample
	col     color.RGBA
}

// panel is one of the chart's two panels.
type panel struct {
	area   image.Rectangle
	ylabel string
	lines  [2]series
	ths    []health.Thresholds
	ymax   float64 // the top of the y axis (the bottom is 0)
}

// Render draws in as an 800×400 PNG. Samples outside [Start, End] and
// non-finite values are left out, empty series draw nothing, and unusable
// thresholds (see reportdata.HealthChart) draw no lines; a window shorter
// than a second is the hour up to End. The font, Liberation Sans, is
// parsed on the first call.
func Render(in reportdata.HealthChart) ([]byte, error) {
	if in.End.Sub(in.Start) < time.Second { // no window, or too short to draw
		in.Start = in.End.Add(-time.Hour)
	}
	r := renderers.Get().(*renderer)
	defer renderers.Put(r)
	if err := r.init(); err != nil {
		return nil, err
	}
	r.draw(in)

	var buf bytes.Buffer
	buf.Grow(24 << 10) // a chart of four busy lines is about 17 KB
	if err := r.png.Encode(&buf, r.img); err != nil {
		return nil, fmt.Errorf("encode %s: %w", reportdata.ChartFile, err)
	}
	return buf.Bytes(), nil
}

// draw draws in on r's canvas.
func (r *renderer) draw(in reportdata.HealthChart) {
	r.start, r.end = in.Start, in.End

	usage := panel{area: usageArea, ylabel: "Usage (%)",
		lines: [2]series{{"CPU %", in.CPU, colorCPU}, {"memory %", in.Memory, colorMemory}},
		ths:   []health.Thresholds{in.CPUTh, in.MemoryTh}}
	latency := panel{area: latencyArea, ylabel: "Latency (ms)",
		lines: [2]series{{"gateway", in.Gateway, colorGateway}, {"Discord API", in.API, colorAPI}},
		ths:   []health.Thresholds{in.LatencyTh}}

	// Fixed axes: 0–100 % (wider only if a line is beyond), and latency
	// from 0 to above the data and the critical line, so both threshold
	// lines are always in view. Absurd values are cut at maxAxis.
	usage.ymax = math.Min(math.Max(100, r.dataMax(&usage)), maxAxis)
	switch top := r.dataMax(&latency); {
	case top <= 0:
		latency.ymax = 1.15
	default:
		latency.ymax = math.Min(math.Max(top, 0.01), maxAxis) * 1.15
	}

	r.clear()
	thresholds := false
	for _, p := range []*panel{&usage, &latency} {
		if r.drawPanel(p) {
			thresholds = true
		}
	}
	r.drawTimeAxis()
	r.drawLegend(&usage, thresholds)
	r.drawLegend(&latency, false)
}

// dataMax is the largest value p shows: its samples in the window and its
// critical lines; 0 for none.
func (r *renderer) dataMax(p *panel) float64 {
	m := 0.0
	for _, s := range p.lines {
		for _, v := range s.samples {
			if r.inWindow(v) {
				m = math.Max(m, v.Value)
			}
		}
	}
	for _, th := range p.ths {
		if usableThresholds(th) {
			m = math.Max(m, th.Critical)
		}
	}
	return m
}

func (r *renderer) inWindow(s health.Sample) bool {
	return !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) && !s.At.Before(r.start) && !s.At.After(r.end)
}

// x is the column of t (Unix seconds); y the row of v in p.
func (r *renderer) x(t float64) float64 {
	x0, x1 := float64(r.start.Unix()), float64(r.end.Unix())
	return float64(usageArea.Min.X) + (t-x0)/(x1-x0)*float64(usageArea.Dx())
}

func (p *panel) y(v float64) float64 {
	return float64(p.area.Max.Y) - v/p.ymax*float64(p.area.Dy())
}

// drawPanel draws p's grid, lines, thresholds and y axis. It reports
// whether it drew threshold lines.
func (r *renderer) drawPanel(p *panel) bool {
	a := p.area
	major, minor := niceTicks(p.ymax)
	for i := 0; i <= maxTicks; i++ { // horizontal grid at the major ticks
		v := float64(i) * major
		if v > p.ymax*(1+1e-9) {
			break
		}
		row := int(math.Round(p.y(v)))
		r.fill(image.Rect(a.Min.X, row, a.Max.X, row+1), colorGrid)
	}
	r.eachTimeTick(func(t float64, labelled bool) { // vertical grid at the labelled times
		if labelled {
			col := int(math.Round(r.x(t)))
			r.fill(image.Rect(col, a.Min.Y, col+1, a.Max.Y), colorGrid)
		}
	})

	drawn := false
	for _, th := range p.ths {
		if !usableThresholds(th) {
			continue
		}
		drawn = true
		for _, t := range []struct {
			v   float64
			col color.RGBA
		}{{th.Warning, colorWarning}, {th.Critical, colorCritical}} {
			row := int(math.Round(p.y(t.v)))
			r.dashedRow(a.Min.X, a.Max.X, row-1, 2, t.col)
		}
	}
	for _, s := range p.lines {
		r.polyline(p, s)
	}

	// The axes: the y axis with its ticks and labels, the x axis along the
	// bottom of the panel.
	r.fill(image.Rect(a.Min.X-1, a.Min.Y, a.Min.X, a.Max.Y+1), colorText)
	r.fill(image.Rect(a.Min.X-1, a.Max.Y, a.Max.X+1, a.Max.Y+1), colorText)
	for i := 0; i <= maxTicks; i++ {
		v := float64(i) * minor
		if v > p.ymax*(1+1e-9) {
			break
		}
		row := int(math.Round(p.y(v)))
		n := minorTick
		if isMultiple(v, major) {
			n = majorTick
			label := formatTick(v, major)
			w := r.textWidth(r.tick, label)
			r.text(r.tick, a.Min.X-1-majorTick-3-w, row+5, label)
		}
		r.fill(image.Rect(a.Min.X-1-n, row, a.Min.X-1, row+1), colorText)
	}
	r.verticalText(r.label, 6, (a.Min.Y+a.Max.Y)/2, p.ylabel)
	return drawn
}

// drawTimeAxis draws the time ticks under both panels and labels them
// under the latency panel.
func (r *renderer) drawTimeAxis() {
	r.eachTimeTick(func(t float64, labelled bool) {
		col := int(math.Round(r.x(t)))
		n := minorTick
		if labelled {
			n = majorTick
		}
		for _, a := range []image.Rectangle{usageArea, latencyArea} {
			r.fill(image.Rect(col, a.Max.Y+1, col+1, a.Max.Y+1+n), colorText)
		}
		if labelled {
			label := time.Unix(int64(t), 0).UTC().Format("15:04")
			w := r.textWidth(r.tick, label)
			r.text(r.tick, col-w/2, latencyArea.Max.Y+1+majorTick+14, label)
		}
	})
	w := r.textWidth(r.label, "UTC")
	r.text(r.label, (latencyArea.Min.X+latencyArea.Max.X-w)/2, Height-10, "UTC")
}

// drawLegend names p's drawn lines, top down from the top of its plot
// area, and the threshold colours when thresholds is set.
func (r *renderer) drawLegend(p *panel, thresholds bool) {
	y := p.area.Min.Y + 8
	entry := func(name string, col color.RGBA, dashed bool) {
		if dashed {
			for x := legendLeft; x < legendLeft+legendThumb; x += 6 {
				r.fill(image.Rect(x, y-1, min(x+4, legendLeft+legendThumb), y+1), col)
			}
		} else {
			r.fill(image.Rect(legendLeft, y-1, legendLeft+legendThumb, y+1), col)
		}
		r.text(r.legend, legendLeft+legendThumb+5, y+4, name)
		y += legendRow
	}
	for _, s := range p.lines {
		if r.hasPoints(s) {
			entry(s.name, s.col, false)
		}
	}
	if thresholds {
		entry("warning", colorWarning, true)
		entry("critical", colorCritical, true)
	}
}

func (r *renderer) hasPoints(s series) bool {
	for _, v := range s.samples {
		if r.inWindow(v) {
			return true
		}
	}
	return false
}

func usableThresholds(th health.Thresholds) bool {
	return th.Warning > 0 && th.Critical >= th.Warning && !math.IsInf(th.Critical, 0) && !math.IsNaN(th.Critical)
}

// eachTimeTick calls f for the time ticks of the window: every 10 minutes
// labelled ("15:04", UTC), with minor ticks every 5; longer windows get
// proportionally wider steps.
func (r *renderer) eachTimeTick(f func(t float64, labelled bool)) {
	lo, hi := float64(r.start.Unix()), float64(r.end.Unix())
	step := 600.0
	for (hi-lo)/step > 8 {
		step *= 2
	}
	minor := step / 2
	for v := math.Ceil(lo/minor) * minor; v <= hi; v += minor {
		f(v, math.Mod(v, step) == 0)
	}
}

// niceTicks picks the y axis's steps for an axis from 0 to top: about three
// labelled major ticks at 1, 2, 2.5 or 5 times a power of ten, and minor
// ticks between them.
func niceTicks(top float64) (major, minor float64) {
	raw := top / 3
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*pow >= raw {
			major = m * pow
			break
		}
	}
	if major/pow == 2 {
		return major, major / 4
	}
	return major, major / 5
}

func isMultiple(v, step float64) bool {
	q := v / step
	return math.Abs(q-math.Round(q)) < 1e-6
}

// formatTick labels v in the shortest form ("250", "0.5").
func formatTick(v, step float64) string {
	decimals := 0
	for s := step; s-math.Floor(s) > 1e-9 && decimals < 6; s *= 10 {
		decimals++
	}
	return fmt.Sprintf("%.*f", decimals, v)
}

// Charts are drawn every health report (every second in a 1 s test run):
// the canvas and the PNG encoder's buffers (two rows and an IDAT chunk,
// about 10 KB) are reused rather than left to the garbage collector each
// time. A sync.Pool lets the collector have them back between reports.
var renderers = sync.Pool{New: func() any { return new(renderer) }}
