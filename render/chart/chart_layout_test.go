package chart

import (
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// countIn counts the pixels of r within tol of col.
func countIn(img image.Image, r image.Rectangle, col color.RGBA, tol int) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if near(img.At(x, y), col, tol) {
				n++
			}
		}
	}
	return n
}

// darkIn counts the pixels of r darker than mid grey on every channel:
// text and axes.
func darkIn(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c, g, b, _ := img.At(x, y).RGBA()
			if c>>8 < 0x80 && g>>8 < 0x80 && b>>8 < 0x80 {
				n++
			}
		}
	}
	return n
}

// legendArea is the legend column beside a panel, right of the line
// samples: where the names are written.
func legendArea(panel image.Rectangle) image.Rectangle {
	return image.Rect(legendLeft+legendThumb+1, panel.Min.Y, Width, panel.Max.Y)
}

// Each line is drawn in its own colour inside its own panel's plot area,
// and named in that panel's legend.
func TestRenderChart_SeriesInTheirPanels(t *testing.T) {
	t.Parallel()
	end := chartTime
	b, err := Render(benchChart())
	if err != nil {
		t.Fatal(err)
	}
	img := decodeChart(t, b)
	for _, c := range []struct {
		name      string
		col       color.RGBA
		in, other image.Rectangle
	}{
		{"CPU", colorCPU, usageArea, latencyArea},
		{"memory", colorMemory, usageArea, latencyArea},
		{"gateway", colorGateway, latencyArea, usageArea},
		{"Discord API", colorAPI, latencyArea, usageArea},
	} {
		// A line across the hour covers at least the plot's width.
		if n := countIn(img, c.in, c.col, 24); n < c.in.Dx() {
			t.Errorf("%s: %d pixels of its colour in its panel, want a line (≥ %d)", c.name, n, c.in.Dx())
		}
		if n := countIn(img, c.other, c.col, 24); n != 0 {
			t.Errorf("%s: %d pixels of its colour in the other panel", c.name, n)
		}
	}
	// Both legends name two lines; the usage legend also the two threshold
	// colours: text in each, and the threshold samples in the usage one.
	for _, p := range []image.Rectangle{usageArea, latencyArea} {
		if n := darkIn(img, legendArea(p)); n < 40 {
			t.Errorf("legend beside the panel at %v: %d text pixels", p, n)
		}
	}
	thumbs := image.Rect(legendLeft, usageArea.Min.Y, legendLeft+legendThumb, usageArea.Max.Y)
	for _, col := range []color.RGBA{colorWarning, colorCritical, colorCPU, colorMemory} {
		if countIn(img, thumbs, col, 0) == 0 {
			t.Errorf("usage legend: no sample of %v", col)
		}
	}

	// Only the latency panel has thresholds: its lines and no others.
	in := reportdata.HealthChart{Start: end.Add(-time.Hour), End: end, LatencyTh: health.Thresholds{Warning: 200, Critical: 500}}
	if b, err = Render(in); err != nil {
		t.Fatal(err)
	}
	img = decodeChart(t, b)
	for _, col := range []color.RGBA{colorWarning, colorCritical} {
		if n := countIn(img, latencyArea, col, 0); n < 200 {
			t.Errorf("latency panel: %d pixels of threshold colour %v", n, col)
		}
		if n := countIn(img, usageArea, col, 24); n != 0 {
			t.Errorf("usage panel: %d pixels of threshold colour %v, without usage thresholds", n, col)
		}
	}
}

// A chart without samples or thresholds still has both panels' axes, their
// tick labels and the time axis, and no line and no legend.
func TestRenderChart_Empty(t *testing.T) {
	t.Parallel()
	b, err := Render(reportdata.HealthChart{Start: chartTime.Add(-time.Hour), End: chartTime})
	if err != nil {
		t.Fatal(err)
	}
	img := decodeChart(t, b)
	black := color.RGBA{A: 0xFF}
	for _, a := range []image.Rectangle{usageArea, latencyArea} {
		yAxis := image.Rect(a.Min.X-1, a.Min.Y, a.Min.X, a.Max.Y)
		xAxis := image.Rect(a.Min.X, a.Max.Y, a.Max.X, a.Max.Y+1)
		if n := countIn(img, yAxis, black, 0); n != a.Dy() {
			t.Errorf("panel %v: y axis has %d of %d black pixels", a, n, a.Dy())
		}
		if n := countIn(img, xAxis, black, 0); n != a.Dx() {
			t.Errorf("panel %v: x axis has %d of %d black pixels", a, n, a.Dx())
		}
		// The axis label reads upwards in the first 24 columns, the tick
		// labels end left of the ticks.
		if n := darkIn(img, image.Rect(0, a.Min.Y, 24, a.Max.Y)); n < 60 {
			t.Errorf("panel %v: %d pixels of the axis label", a, n)
		}
		if n := darkIn(img, image.Rect(24, a.Min.Y-6, a.Min.X-1-majorTick, a.Max.Y+6)); n < 40 {
			t.Errorf("panel %v: %d pixels of tick labels", a, n)
		}
		if n := darkIn(img, legendArea(a)); n != 0 {
			t.Errorf("panel %v: %d legend pixels without lines", a, n)
		}
	}
	// The times under the latency panel, then "UTC".
	if n := darkIn(img, image.Rect(0, latencyArea.Max.Y+majorTick+1, Width, latencyArea.Max.Y+24)); n < 100 {
		t.Errorf("%d pixels of time labels under the latency panel", n)
	}
	if n := darkIn(img, image.Rect(0, latencyArea.Max.Y+24, Width, Height)); n < 20 {
		t.Errorf("%d pixels of the time axis's label", n)
	}
	for _, col := range []color.RGBA{colorCPU, colorMemory, colorGateway, colorAPI, colorWarning, colorCritical} {
		for _, a := range []image.Rectangle{usageArea, latencyArea} {
			if n := countIn(img, a, col, 24); n != 0 {
				t.Errorf("%d pixels of %v in the panel at %v, without samples or thresholds", n, col, a)
			}
		}
	}
}

// A window of other length or start, samples outside it and a flat or
// single sample still draw a chart: no error, no panic, lines where the
// samples are.
func TestRenderChart_Edges(t *testing.T) {
	t.Parallel()
	end := chartTime
	cases := map[string]reportdata.HealthChart{
		"no window": {End: end, CPU: chartSeries(end, 30, func(int) float64 { return 40 })},
		"one sample": {Start: end.Add(-time.Hour), End: end,
			Gateway: []health.Sample{{At: end.Add(-time.Minute), Value: 80}}},
		"six hours":           {Start: end.Add(-6 * time.Hour), End: end, API: chartSeries(end, 300, func(i int) float64 { return float64(i) })},
		"a nanosecond window": {Start: end.Add(-time.Nanosecond), End: end, CPU: []health.Sample{{At: end, Value: 30}}},
		"huge latency":        {Start: end.Add(-time.Hour), End: end, Gateway: chartSeries(end, 10, func(int) float64 { return math.MaxFloat64 })},
		"tiny latency":        {Start: end.Add(-time.Hour), End: end, API: chartSeries(end, 10, func(int) float64 { return 5e-324 })},
		"huge usage":          {Start: end.Add(-time.Hour), End: end, Memory: chartSeries(end, 10, func(int) float64 { return math.MaxFloat64 })},
		"outside and odd": {Start: end.Add(-time.Hour), End: end, Memory: []health.Sample{
			{At: end.Add(-2 * time.Hour), Value: 50}, {At: end.Add(-time.Minute), Value: math.Inf(1)}, {At: end.Add(time.Minute), Value: 60},
			{At: end.Add(-30 * time.Minute), Value: 150}, {At: end.Add(-20 * time.Minute), Value: -5}}},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			decodeChart(t, b)
		})
	}
}

// TestRender_allocBudget: one Render of the health report's chart draws
// into reused buffers; what it allocates is about the PNG it returns (a
// 24 KB buffer). A Render used to allocate about 4 MB (a new canvas, a copy
// of it, gonum's plot), which set the daemon's peak RSS at its first health
// report.
func TestRender_allocBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocation")
	}
	in := benchChart()
	least := uint64(math.MaxUint64)
	var before, after runtime.MemStats
	for range 5 { // the least of five: a pooled buffer is dropped only if two GCs pass between Renders
		runtime.ReadMemStats(&before)
		if _, err := Render(in); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	const budget = 64 << 10
	if least > budget {
		t.Errorf("a Render allocates %d bytes, budget %d", least, budget)
	}
}

// TestRender_firstChartAlloc: the first chart of a process (this test
// binary, run again), with nothing pooled, as in the daemon when a health
// report comes 5 minutes after the last: the font, the canvas and the PNG.
// image/png's compressor made it about 1.67 MB, 1.17 MB of it the
// compressor's hash tables, allocated at the daemon's peak-RSS moment.
func TestRender_firstChartAlloc(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocation")
	}
	const budget = 640 << 10
	if os.Getenv("CHART_FIRST_CHILD") == "1" {
		in := benchChart()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b, err := Render(in)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		decodeChart(t, b)
		n := after.TotalAlloc - before.TotalAlloc
		t.Logf("the first Render allocated %d bytes (PNG %d bytes)", n, len(b))
		if n > budget {
			t.Errorf("the first Render allocated %d bytes, budget %d", n, budget)
		}
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRender_firstChartAlloc$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "CHART_FIRST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

// The font is parsed on the first Render, not when the package is
// initialised: a fresh process (this test binary, run again) has no font
// until it draws.
func TestRender_fontIsLazy(t *testing.T) {
	if os.Getenv("CHART_LAZY_CHILD") == "1" {
		if sans != nil {
			t.Fatal("the font was parsed before the first Render")
		}
		if _, err := Render(benchChart()); err != nil {
			t.Fatal(err)
		}
		if sans == nil {
			t.Fatal("Render drew without parsing the font")
		}
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRender_fontIsLazy$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CHART_LAZY_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
