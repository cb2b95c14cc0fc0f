package build

import (
	"math"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/format"
)

// risingHistory is an hour of samples, one a minute up to at (excluded):
// memory from 40 % up by 6 %/h, RSS up by 12 MiB/h, heap flat.
func risingHistory(at time.Time) SeriesHistory {
	h := SeriesHistory{}
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
		cur, prev *reportdata.Snapshot
		hist      SeriesHistory
	}{
		"memory":            {reporttest.FullSnapshot(1), reporttest.FullSnapshot(0), risingHistory(testTime)},
		"memory_no_history": {reporttest.BareSnapshot(testTime, 41), nil, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := BuildMemoryData(c.cur, c.prev, c.hist)
			checkReportGolden(t, name, MemoryReport(d, c.cur.Time, "host-1", reportdata.DefaultThresholds()))
		})
	}
}

func TestBuildMemoryData(t *testing.T) {
	t.Parallel()
	d := BuildMemoryData(reporttest.FullSnapshot(1), reporttest.FullSnapshot(0), risingHistory(testTime))
	gc := d.GarbageCollection
	// The interval's GC work, not the totals.
	if format.Num(gc.IntervalSeconds) != 60 || format.Num(gc.Cycles) != 4 || format.Num(gc.PauseMS) != 2 || format.Num(gc.CyclesTotal) != 1204 ||
		format.Num(gc.AllocatedBytes) != 40<<20 || format.Num(gc.FreedBytes) != 38<<20 {
		t.Errorf("gc = %+v", gc)
	}
	if gc.CleanupEfficiencyPercent == nil || *gc.CleanupEfficiencyPercent != 95 {
		t.Errorf("cleanup efficiency = %v, want 95", gc.CleanupEfficiencyPercent)
	}
	pm := d.ProcessMemory
	if !pm.Available || format.Num(pm.PID) != 4242 || format.Num(pm.RSS) != 50<<20 {
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
	if format.Num(d.SystemMemory.Percent) != 41 || format.Num(d.SystemMemory.Total) != 8<<30 {
		t.Errorf("system memory = %+v", d.SystemMemory)
	}

	// First report: GC since the instruments started; no history, no trend.
	d = BuildMemoryData(reporttest.BareSnapshot(testTime, 41), nil, nil)
	if format.Num(d.GarbageCollection.Cycles) != 10 || format.Num(d.GarbageCollection.IntervalSeconds) != 3600 {
		t.Errorf("first gc = %+v", d.GarbageCollection)
	}
	if d.ProcessMemory.Available || d.ProcessMemory.RSSTrendMBPerHour != nil || d.Trends.SystemMemoryPercent.Samples != 1 {
		t.Errorf("no history: %+v %+v", d.ProcessMemory, d.Trends)
	}
	// A counter reset (agent restart between collections) falls back to
	// the cumulative values instead of a huge unsigned difference.
	reset := reporttest.BareSnapshot(testTime.Add(time.Minute), 41)
	d = BuildMemoryData(reset, reporttest.FullSnapshot(1), nil)
	if format.Num(d.GarbageCollection.Cycles) != 10 {
		t.Errorf("after reset cycles = %v, want 10", format.Num(d.GarbageCollection.Cycles))
	}
}
