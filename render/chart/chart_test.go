package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// series returns n samples one minute apart ending at end, valued f(i).
func chartSeries(end time.Time, n int, f func(i int) float64) []health.Sample {
	out := make([]health.Sample, n)
	for i := range n {
		out[i] = health.Sample{At: end.Add(-time.Duration(n-1-i) * time.Minute), Value: f(i)}
	}
	return out
}

func decodeChart(t *testing.T, b []byte) image.Image {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode config: %v", err)
	}
	if format != "png" {
		t.Fatalf("format %q, want png", format)
	}
	if cfg.Width != Width || cfg.Height != Height {
		t.Fatalf("size %dx%d, want %dx%d", cfg.Width, cfg.Height, Width, Height)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

// near reports whether c is within tol of want on every channel.
func near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { return math.Abs(float64(int(a>>8)-int(w))) <= float64(tol) }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// lineRows returns the pixel rows holding a horizontal line of col: rows
// where at least minRun pixels have that colour, grouped into lines (runs
// of adjacent rows), as the centre row of each line, top to bottom.
func lineRows(img image.Image, col color.RGBA, minPixels int) []int {
	b := img.Bounds()
	var rows []int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		n := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.At(x, y), col, 24) {
				n++
			}
		}
		if n >= minPixels {
			rows = append(rows, y)
		}
	}
	var lines []int
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1] == rows[j]+1 {
			j++
		}
		lines = append(lines, (rows[i]+rows[j])/2)
		i = j + 1
	}
	return lines
}

// dashed reports whether row y alternates between col and other colours,
// as a dashed line does: at least 10 separate runs of col.
func dashed(img image.Image, y int, col color.RGBA) bool {
	b := img.Bounds()
	runs, in := 0, false
	for x := b.Min.X; x < b.Max.X; x++ {
		on := near(img.At(x, y), col, 24)
		if on && !in {
			runs++
		}
		in = on
	}
	return runs >= 10
}

func TestRenderChart_ThresholdLines(t *testing.T) {
	t.Parallel()
	end := chartTime
	in := reportdata.HealthChart{
		Start: end.Add(-time.Hour), End: end,
		CPUTh:     health.Thresholds{Warning: 70, Critical: 85},
		MemoryTh:  health.Thresholds{Warning: 75, Critical: 90},
		LatencyTh: health.Thresholds{Warning: 200, Critical: 500},
	}
	b, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	img := decodeChart(t, b)

	// A dashed line spans most of the 800 px plot width: at least a third
	// of it is on.
	warn := lineRows(img, colorWarning, 200)
	crit := lineRows(img, colorCritical, 200)
	// Top panel: CPU 70 and memory 75 (warning), 85 and 90 (critical);
	// bottom panel: 200 (warning) and 500 (critical).
	if len(warn) != 3 || len(crit) != 3 {
		t.Fatalf("warning lines at rows %v, critical at %v; want 3 of each", warn, crit)
	}
	for _, y := range append(append([]int{}, warn...), crit...) {
		col := colorWarning
		if contains(crit, y) {
			col = colorCritical
		}
		if !dashed(img, y, col) {
			t.Errorf("line at row %d is not dashed", y)
		}
	}
	// Rows grow downwards: in the usage panel 90 (crit[0]) is above 85
	// (crit[1]), which is above 75 (warn[0]), above 70 (warn[1]); the
	// latency panel's critical line is above its warning line, and both are
	// below the usage panel.
	if !(crit[0] < crit[1] && crit[1] < warn[0] && warn[0] < warn[1]) {
		t.Errorf("usage panel lines out of order: critical %v, warning %v", crit[:2], warn[:2])
	}
	if !(warn[1] < crit[2] && crit[2] < warn[2]) {
		t.Errorf("latency panel lines out of order: critical %d, warning %d (usage panel ends near %d)", crit[2], warn[2], warn[1])
	}
	// The usage axis is linear from 0 to 100: 85−70 is three times 90−85.
	gapLow, gapHigh := float64(warn[1]-crit[1]), float64(crit[1]-crit[0])
	if r := gapLow / gapHigh; r < 2.5 || r > 3.5 {
		t.Errorf("spacing 70→85 / 85→90 = %.2f, want about 3 (rows %v %v)", r, warn, crit)
	}

	// Without thresholds, no line of either colour is drawn.
	b, err = Render(reportdata.HealthChart{Start: in.Start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	img = decodeChart(t, b)
	if w, c := lineRows(img, colorWarning, 200), lineRows(img, colorCritical, 200); len(w)+len(c) != 0 {
		t.Errorf("no thresholds: warning lines %v, critical lines %v", w, c)
	}
}

func TestRenderChart_Series(t *testing.T) {
	t.Parallel()
	end := chartTime
	in := reportdata.HealthChart{
		Start: end.Add(-time.Hour), End: end,
		CPU:     chartSeries(end, 61, func(i int) float64 { return 20 + float64(i)/2 }),
		Memory:  chartSeries(end, 61, func(int) float64 { return 50 }),
		Gateway: chartSeries(end, 61, func(i int) float64 { return 40 + float64(i%5) }),
		API:     chartSeries(end, 61, func(int) float64 { return math.NaN() }), // all skipped
	}
	b, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	img := decodeChart(t, b)
	// Memory is flat at 50 %: one long solid row of its colour.
	rows := lineRows(img, colorMemory, 400)
	if len(rows) != 1 {
		t.Fatalf("memory line rows %v, want one", rows)
	}
	if dashed(img, rows[0], colorMemory) {
		t.Error("data line drawn dashed")
	}
	// CPU rises: its colour appears on many rows.
	n := 0
	for y := range Height {
		for x := range Width {
			if near(img.At(x, y), colorCPU, 24) {
				n++
				break
			}
		}
	}
	if n < 20 {
		t.Errorf("CPU line spans %d rows, want a rising line", n)
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// chartTime is the end of every chart's series.
var chartTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
