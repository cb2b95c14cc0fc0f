package report

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/reporttest"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/build"
)

// BenchmarkHealthReport builds and renders the comprehensive health report
// as the health reader does, chart included: an hour of stored samples at
// 30 s (120 per series) read from a real store, the data, the trends and
// recommendations, the 800×400 PNG, and the Discord payload. Budget
// (DESIGN §8): ≤ 30 ms.
func BenchmarkHealthReport(b *testing.B) {
	ctx := context.Background()
	st := openStore(b, b.TempDir())
	for i := 120; i >= 1; i-- {
		at := testTime.Add(-time.Duration(i) * 30 * time.Second)
		x := float64(120 - i)
		if err := st.SaveSamples(ctx, at, map[string]float64{
			build.SeriesCPU: 20 + float64(i%7), build.SeriesMemory: 50 + x/10, build.SeriesLatency: 40 + float64(i%5),
			build.SeriesAPI: 200 + float64(i%11), build.SeriesHeap: 24 << 20, build.SeriesGoroutines: 37, build.SeriesProbeAvailability: 100,
		}); err != nil {
			b.Fatal(err)
		}
	}
	rep := NewReporter(Options{Host: "host-1", Store: st, Chart: ChartHook})
	cur, prev := reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)
	b.ReportAllocs()
	for b.Loop() {
		r, err := rep.healthNow(ctx, cur, prev)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RenderHook(r, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAlertEvaluate measures the alert evaluation of one system
// snapshot's values on the steady path (memory and disk firing, the other
// rules quiet; nothing changes, nothing is sent or stored), through the
// Reporter as handle calls it.
func BenchmarkAlertEvaluate(b *testing.B) {
	ctx := context.Background()
	rep := NewReporter(Options{Alerts: AlertOptions{For: time.Minute, RepeatInterval: time.Hour, Hysteresis: 0.1}})
	v := noValues()
	v[ruleCPU], v[ruleMemory], v[ruleDisk] = 23, 92, 88
	for i := range 3 {
		if err := rep.evaluateAlerts(ctx, testTime.Add(time.Duration(i)*time.Minute), &v); err != nil {
			b.Fatal(err)
		}
	}
	if a := rep.ActiveAlerts(); len(a) != 2 {
		b.Fatalf("setup: active alerts %+v", a)
	}
	at := testTime.Add(3 * time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if err := rep.evaluateAlerts(ctx, at, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAlertEvaluate_SteadyPathAllocs pins the allocation-free steady path.
func TestAlertEvaluate_SteadyPathAllocs(t *testing.T) {
	ctx := context.Background()
	rep := NewReporter(Options{})
	v := noValues()
	v[ruleMemory] = 95
	if err := rep.evaluateAlerts(ctx, testTime, &v); err != nil {
		t.Fatal(err)
	}
	if a := rep.ActiveAlerts(); len(a) != 1 || a[0].Severity != string(health.SeverityCritical) {
		t.Fatalf("setup: %+v", a)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := rep.evaluateAlerts(ctx, testTime.Add(time.Second), &v); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("steady path: %v allocs per evaluation, want 0", allocs)
	}
}

// BenchmarkSystemReportCollect is the report part of one system report as
// TestSystemReport_allocBudget counts it: built from a collection
// (reporttest.FullSnapshot), stored (report and samples, in a real store)
// and written to the events file; the collection itself not included.
func BenchmarkSystemReportCollect(b *testing.B) {
	ctx := context.Background()
	rep := NewReporter(Options{Host: "host-1", Store: openStore(b, b.TempDir()), Events: io.Discard})
	cur, prev := reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)
	if err := rep.Collect(ctx, EventSystem, cur, prev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := rep.Collect(ctx, EventSystem, cur, prev); err != nil {
			b.Fatal(err)
		}
	}
}
