package report

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/health"
)

// risingHistory is an hour of samples, one a minute up to at (excluded):
// memory from 40 % up by 6 %/h, RSS up by 12 MiB/h, heap flat.
func risingHistory(at time.Time) seriesHistory {
	h := seriesHistory{}
	for i := 60; i >= 1; i-- {
		ts := at.Add(-time.Duration(i) * time.Minute)
		hours := float64(60-i) / 60
		h[SeriesMemory] = append(h[SeriesMemory], health.Sample{At: ts, Value: 40 + 6*hours})
		h[SeriesProcessRSS] = append(h[SeriesProcessRSS], health.Sample{At: ts, Value: 40<<20 + 12*(1<<20)*hours})
		h[SeriesHeap] = append(h[SeriesHeap], health.Sample{At: ts, Value: 24 << 20})
	}
	return h
}

func TestMemoryReport_Golden(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		cur, prev *Snapshot
		hist      seriesHistory
	}{
		"memory":            {fullSnapshot(1), fullSnapshot(0), risingHistory(testTime)},
		"memory_no_history": {bareSnapshot(testTime, 41), nil, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := buildMemoryData(c.cur, c.prev, c.hist)
			checkReportGolden(t, name, memoryReport(d, c.cur.Time, "host-1", DefaultThresholds()))
		})
	}
}

func TestBuildMemoryData(t *testing.T) {
	t.Parallel()
	d := buildMemoryData(fullSnapshot(1), fullSnapshot(0), risingHistory(testTime))
	gc := d.GarbageCollection
	// The interval's GC work, not the totals.
	if num(gc.IntervalSeconds) != 60 || num(gc.Cycles) != 4 || num(gc.PauseMS) != 2 || num(gc.CyclesTotal) != 1204 ||
		num(gc.AllocatedBytes) != 40<<20 || num(gc.FreedBytes) != 38<<20 {
		t.Errorf("gc = %+v", gc)
	}
	if gc.CleanupEfficiencyPercent == nil || *gc.CleanupEfficiencyPercent != 95 {
		t.Errorf("cleanup efficiency = %v, want 95", gc.CleanupEfficiencyPercent)
	}
	pm := d.ProcessMemory
	if !pm.Available || num(pm.PID) != 4242 || num(pm.RSS) != 50<<20 {
		t.Errorf("process memory = %+v", pm)
	}
	// RSS: 40 MiB rising 12 MiB/h for an hour, then 50 MiB now.
	if pm.RSSTrendMBPerHour == nil || math.Abs(*pm.RSSTrendMBPerHour-12) > 1.5 {
		t.Errorf("rss trend = %v MiB/h, want about 12", pm.RSSTrendMBPerHour)
	}
	tr := d.Trends
	if tr.SystemMemoryPercent.Direction != "increasing" || tr.SystemMemoryPercent.Meaning != health.Degrading || tr.SystemMemoryPercent.Samples != 61 {
		t.Errorf("memory trend = %+v", tr.SystemMemoryPercent)
	}
	if tr.Heap.Direction != "stable" {
		t.Errorf("heap trend = %+v", tr.Heap)
	}
	if num(d.SystemMemory.Percent) != 41 || num(d.SystemMemory.Total) != 8<<30 {
		t.Errorf("system memory = %+v", d.SystemMemory)
	}

	// First report: GC since the instruments started; no history, no trend.
	d = buildMemoryData(bareSnapshot(testTime, 41), nil, nil)
	if num(d.GarbageCollection.Cycles) != 10 || num(d.GarbageCollection.IntervalSeconds) != 3600 {
		t.Errorf("first gc = %+v", d.GarbageCollection)
	}
	if d.ProcessMemory.Available || d.ProcessMemory.RSSTrendMBPerHour != nil || d.Trends.SystemMemoryPercent.Samples != 1 {
		t.Errorf("no history: %+v %+v", d.ProcessMemory, d.Trends)
	}
	// A counter reset (agent restart between collections) falls back to
	// the cumulative values instead of a huge unsigned difference.
	reset := bareSnapshot(testTime.Add(time.Minute), 41)
	d = buildMemoryData(reset, fullSnapshot(1), nil)
	if num(d.GarbageCollection.Cycles) != 10 {
		t.Errorf("after reset cycles = %v, want 10", num(d.GarbageCollection.Cycles))
	}
}

// The memory report reads its trends from the store through the Reporter.
func TestReporter_MemoryTrendFromStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	for _, s := range risingHistory(testTime)[SeriesMemory] {
		if err := st.SaveSamples(ctx, s.At, map[string]float64{SeriesMemory: s.Value}); err != nil {
			t.Fatal(err)
		}
	}
	rep := NewReporter(Options{Store: st})
	r, err := rep.BuildNow(ctx, EventMemory, bareSnapshot(testTime, 46))
	if err != nil {
		t.Fatal(err)
	}
	tr := r.Data.(MemoryData).Trends.SystemMemoryPercent
	if tr.Samples != 61 || tr.Direction != "increasing" || math.Abs(tr.SlopePerHour-6) > 0.5 {
		t.Errorf("trend from store = %+v", tr)
	}
}
