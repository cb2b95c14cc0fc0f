package runtime

import (
	"log/slog"
	goruntime "runtime"
	"runtime/metrics"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

var sink []byte

// TestStart_Accuracy brackets a collection between two
// runtime.ReadMemStats calls: counters must lie between the two reads,
// gauges close to them.
func TestStart_Accuracy(t *testing.T) {
	// Not parallel: other tests' allocations and GCs would widen the
	// brackets.
	mp, r := metrictest.NewProvider(t)
	c, err := Start(mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	for range 3 { // make sure there were GCs and pauses
		sink = make([]byte, 1<<20)
		goruntime.GC()
	}
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	rm := metrictest.Collect(t, r)
	goruntime.ReadMemStats(&after)

	get := func(name string) float64 {
		t.Helper()
		v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeRuntime, name))
		if !ok {
			t.Fatalf("%s has no point", name)
		}
		return v
	}
	between := func(name string, v, lo, hi float64) {
		t.Helper()
		if v < lo || v > hi {
			t.Errorf("%s = %v, not within [%v, %v] of ReadMemStats before/after", name, v, lo, hi)
		}
	}
	between(names.GoGCCycles, get(names.GoGCCycles), float64(before.NumGC), float64(after.NumGC))
	between(names.GoGCPauseTotal, get(names.GoGCPauseTotal), float64(before.PauseTotalNs)/1e9, float64(after.PauseTotalNs)/1e9)
	last := float64(after.PauseNs[(after.NumGC+255)%256]) / 1e9
	if after.NumGC == before.NumGC && get(names.GoGCPauseLast) != last {
		t.Errorf("%s = %v, MemStats last pause %v", names.GoGCPauseLast, get(names.GoGCPauseLast), last)
	}
	between(names.GoMemoryFreed, get(names.GoMemoryFreed), float64(before.TotalAlloc-before.HeapAlloc)*0.9, float64(after.TotalAlloc-after.HeapAlloc)*1.1)
	// Gauges move with the allocations of the collection itself (a few
	// hundred small objects, tens of KiB): within the before/after range
	// widened by 10 % and by that allowance.
	near := func(name string, v, b, a, allowance float64) {
		t.Helper()
		lo, hi := min(b, a)*0.9-allowance, max(b, a)*1.1+allowance
		if v < lo || v > hi {
			t.Errorf("%s = %v, MemStats before %v after %v", name, v, b, a)
		}
	}
	near(names.GoHeapAlloc, get(names.GoHeapAlloc), float64(before.HeapAlloc), float64(after.HeapAlloc), 256<<10)
	near(names.GoHeapObjects, get(names.GoHeapObjects), float64(before.HeapObjects), float64(after.HeapObjects), 400)
	near(names.GoMemorySys, get(names.GoMemorySys), float64(before.Sys), float64(after.Sys), 0)

	if v, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess), attribute.String(names.AttrCollector, "runtime")); v != 1 {
		t.Errorf("success = %v, want 1", v)
	}
	// Contrib runtime is registered too.
	for _, name := range []string{names.GoGoroutineCount, names.GoMemoryGCGoal, names.GoMemoryAllocated} {
		metrictest.Find(t, rm, names.ScopeContribRuntime, name)
	}
}

// TestCollector_Instruments checks names, units and kinds.
func TestCollector_Instruments(t *testing.T) {
	t.Parallel()
	mp, r := metrictest.NewProvider(t)
	clock := metrictest.NewStepClock(time.Unix(0, 0), time.Millisecond)
	c, err := start(mp, nil, clock.Now, metrics.Read)
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	rm := metrictest.Collect(t, r)
	counterI := metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{{}}}
	gaugeI := metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{}}}
	collector := attribute.NewSet(attribute.String(names.AttrCollector, "runtime"))
	want := []metricdata.Metrics{
		{Name: names.GoMemoryFreed, Unit: "By", Description: "Heap bytes freed by the garbage collector.", Data: counterI},
		{Name: names.GoGCCycles, Unit: "{gc_cycle}", Description: "Completed garbage collection cycles.", Data: counterI},
		{Name: names.GoGCPauseTotal, Unit: "s", Description: "Total stop-the-world time of garbage collections.",
			Data: metricdata.Sum[float64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[float64]{{}}}},
		{Name: names.GoGCPauseLast, Unit: "s", Description: "Stop-the-world time of the most recent garbage collection.",
			Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{}}}},
		{Name: names.GoHeapAlloc, Unit: "By", Description: "Bytes of allocated heap objects, live and not yet swept (MemStats.HeapAlloc).", Data: gaugeI},
		{Name: names.GoHeapObjects, Unit: "{object}", Description: "Allocated heap objects, live and not yet swept (MemStats.HeapObjects).", Data: gaugeI},
		{Name: names.GoMemorySys, Unit: "By", Description: "Memory obtained from the OS by the Go runtime (MemStats.Sys).", Data: gaugeI},
		{Name: names.CollectorSuccess, Unit: "1", Description: "Whether the last collection of the source succeeded (1) or failed (0).",
			Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: collector, Value: 1}}}},
		{Name: names.CollectorDurationSeconds, Unit: "s", Description: "Duration of the last collection of the source.",
			Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: collector, Value: 0.001}}}},
	}
	for _, w := range want {
		t.Run(w.Name, func(t *testing.T) {
			opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}
			if w.Name != names.CollectorSuccess && w.Name != names.CollectorDurationSeconds {
				opts = append(opts, metricdatatest.IgnoreValue())
			}
			scope := names.ScopeRuntime
			if w.Name == names.CollectorSuccess || w.Name == names.CollectorDurationSeconds {
				scope = names.ScopeCollect
			}
			metricdatatest.AssertEqual(t, w, metrictest.Find(t, rm, scope, w.Name), opts...)
		})
	}
}

// TestCollector_UnsupportedMetric simulates a toolchain lacking the
// runtime/metrics keys: success 0, the GC figures still reported, one log
// record for repeated failures.
func TestCollector_UnsupportedMetric(t *testing.T) {
	t.Parallel()
	mp, r := metrictest.NewProvider(t)
	logs := &metrictest.LogRecorder{}
	unsupported := func(s []metrics.Sample) {
		for i := range s {
			s[i].Name = "/no/such:metric"
		}
		metrics.Read(s) // every value becomes KindBad
	}
	c, err := start(mp, slog.New(logs), time.Now, unsupported)
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	var rm metricdata.ResourceMetrics
	for range 3 {
		rm = metrictest.Collect(t, r)
	}
	if v, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess)); v != 0 {
		t.Errorf("success = %v, want 0", v)
	}
	if metrictest.Has(rm, names.ScopeRuntime, names.GoHeapAlloc) {
		t.Error("heap alloc observed from an unsupported key")
	}
	metrictest.Find(t, rm, names.ScopeRuntime, names.GoGCCycles)
	if n := logs.Count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings, want 1", n)
	}
}

func TestStart_Options(t *testing.T) {
	t.Parallel()
	mp, _ := metrictest.NewProvider(t)
	if _, err := Start(mp, Options{MinimumReadMemStatsInterval: -time.Second}); err == nil {
		t.Error("negative interval accepted")
	}
	if _, err := Start(nil, Options{}); err == nil {
		t.Error("Start(nil) succeeded")
	}
}

func TestCollector_Stop(t *testing.T) {
	t.Parallel()
	mp, r := metrictest.NewProvider(t)
	c, err := Start(mp, Options{MinimumReadMemStatsInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rm := metrictest.CheckStop(t, r, names.ScopeRuntime, names.GoHeapAlloc, c)
	metrictest.Find(t, rm, names.ScopeContribRuntime, names.GoGoroutineCount) // contrib cannot be unregistered
}
