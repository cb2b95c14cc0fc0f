package chart

import (
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// benchChart is the chart of BenchmarkHealthReport (report/): an hour of
// samples at 30 s (120 per series) and the default thresholds.
func benchChart() reportdata.HealthChart {
	end := chartTime
	return reportdata.HealthChart{
		Start: end.Add(-time.Hour), End: end,
		CPU:       chartSeries(end, 120, func(i int) float64 { return 20 + float64(i%7) }),
		Memory:    chartSeries(end, 120, func(i int) float64 { return 50 + float64(i)/10 }),
		Gateway:   chartSeries(end, 120, func(i int) float64 { return 40 + float64(i%5) }),
		API:       chartSeries(end, 120, func(i int) float64 { return 200 + float64(i%11) }),
		CPUTh:     health.Thresholds{Warning: 70, Critical: 85},
		MemoryTh:  health.Thresholds{Warning: 75, Critical: 90},
		LatencyTh: health.Thresholds{Warning: 200, Critical: 500},
	}
}

// BenchmarkRender draws the health report's chart: the bytes and
// allocations of one Render are what the daemon's peak RSS at a health
// report is made of.
func BenchmarkRender(b *testing.B) {
	in := benchChart()
	if _, err := Render(in); err != nil { // the font, once
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(in); err != nil {
			b.Fatal(err)
		}
	}
}
