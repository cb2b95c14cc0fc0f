package build

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// MemoryData is the data of a memory_performance_monitoring report
// (DESIGN §3).
type MemoryData struct {
	ProcessMemory     ProcessMemoryData `json:"process_memory"`
	SystemMemory      SystemMemoryData  `json:"system_memory"`
	GarbageCollection GarbageCollection `json:"garbage_collection"`
	Trends            MemoryTrends      `json:"trends"`
}

// ProcessMemoryData is the bot process's memory. Available is false when
// the watched process cannot be read; PID is still the watched pid (null
// when none is known) and the figures are null.
type ProcessMemoryData struct {
	Available bool     `json:"available"`
	PID       *int     `json:"pid"`
	RSS       *uint64  `json:"rss"`
	VMS       *uint64  `json:"vms"`
	Percent   *float64 `json:"percent"` // RSS / host memory, 0–100
	Shared    *uint64  `json:"shared"`
	Data      *uint64  `json:"data"`
	// RSSTrendMBPerHour is the least-squares slope of the stored RSS
	// samples over the last hour, in MiB (2^20 bytes) per hour; null with
	// fewer than three samples.
	RSSTrendMBPerHour *float64 `json:"rss_trend_mb_per_hour"`

	process ProcessMetrics // for the text: why the figures are missing
}

// SystemMemoryData is the host's memory in bytes, as MemoryMetrics
// defines it (Used is total − available).
type SystemMemoryData struct {
	Total     *uint64    `json:"total"`
	Available *uint64    `json:"available"`
	Used      *uint64    `json:"used"`
	Percent   *float64   `json:"percent"`
	Cached    *uint64    `json:"cached"`
	Buffers   *uint64    `json:"buffers"`
	Swap      SwapMetric `json:"swap"`
}

// GarbageCollection is the agent's Go GC (the bot's only when the bot is
// the agent's own process) over the interval since this reader's previous
// collection (IntervalSeconds; since the process started for the first
// report), plus the live heap now.
type GarbageCollection struct {
	IntervalSeconds *float64 `json:"interval_seconds"`
	Cycles          *uint64  `json:"cycles"`   // GC cycles in the interval
	PauseMS         *float64 `json:"pause_ms"` // stop-the-world pause time in the interval
	CyclesTotal     *uint64  `json:"cycles_total"`
	PauseTotalMS    *float64 `json:"pause_total_ms"`
	LastPauseMS     *float64 `json:"last_pause_ms"`
	HeapObjects     *uint64  `json:"heap_objects"`
	HeapAlloc       *uint64  `json:"heap_alloc"`
	AllocatedBytes  *uint64  `json:"allocated_bytes"` // heap bytes allocated in the interval
	FreedBytes      *uint64  `json:"freed_bytes"`     // heap bytes freed in the interval
	// CleanupEfficiencyPercent is freed / allocated in the interval, capped
	// at 100 (a shrinking heap frees more than it allocates); null when
	// nothing was allocated.
	CleanupEfficiencyPercent *float64 `json:"cleanup_efficiency_percent"`

	ofBot bool // the watched process is the agent's own
}

// MemoryTrends are the trends of the memory report over the stored window.
type MemoryTrends struct {
	SystemMemoryPercent TrendData `json:"system_memory_percent"`
	ProcessRSS          TrendData `json:"process_rss"`
	Heap                TrendData `json:"heap"`
}

// TrendData is a health.Trend in JSON form.
type TrendData struct {
	Series        string  `json:"series"`
	Direction     string  `json:"direction"` // increasing, decreasing, stable
	Meaning       string  `json:"meaning"`   // degrading, improving, steady
	SlopePerHour  float64 `json:"slope_per_hour"`
	Unit          string  `json:"unit"`
	Samples       int     `json:"samples"`
	WindowSeconds float64 `json:"window_seconds"`
	R2            float64 `json:"r2"`
	Forecast      string  `json:"forecast,omitempty"` // when heading for the critical line
	Collecting    bool    `json:"collecting"`         // the samples span less than 10 minutes: no trend yet
}

// TrendWindow is the window trends and the chart look back over.
const TrendWindow = time.Hour

// seriesSpec describes a stored series for trends: its unit and the slope
// per hour below which it counts as stable.
type seriesSpec struct {
	name, label, unit string
	band              float64
}

var (
	specMemory  = seriesSpec{SeriesMemory, "memory usage", "%", 1}
	specCPU     = seriesSpec{SeriesCPU, "CPU usage", "%", 2}
	specRSS     = seriesSpec{SeriesProcessRSS, "process RSS", "B", 1 << 20}
	specHeap    = seriesSpec{SeriesHeap, "live heap", "B", 1 << 20}
	specLatency = seriesSpec{SeriesLatency, "gateway latency", "ms", 5}
	specAPI     = seriesSpec{SeriesAPI, "Discord API response", "ms", 20}
)

// trendData fits spec's trend on samples (higher is worse for every series
// nexusmon keeps).
//
// A slope fitted over a few seconds extrapolates noise to absurd hourly
// rates, so until the samples span minTrendSpan the trend is reported as
// stable and "collecting" (Samples and WindowSeconds say how far along).
func trendData(spec seriesSpec, samples []health.Sample) (TrendData, health.Trend) {
	t := health.TrendOf(spec.label, samples, true, spec.band)
	collecting := t.Window < minTrendSpan
	if collecting {
		t.Direction, t.Meaning, t.SlopePerHour, t.R2 = health.Stable, health.Steady, 0, 0
	}
	return TrendData{
		Series: spec.name, Direction: string(t.Direction), Meaning: t.Meaning,
		SlopePerHour: format.Round(t.SlopePerHour, 3), Unit: spec.unit, Samples: t.Samples,
		WindowSeconds: format.Round(t.Window.Seconds(), 0), R2: format.Round(t.R2, 3), Collecting: collecting,
	}, t
}

// minTrendSpan is the history a trend needs before it means anything.
const minTrendSpan = 10 * time.Minute

// withCurrent returns samples with v at at appended when it is newer than
// the last stored one (the current report's value is not stored yet) and
// a number.
func withCurrent(samples []health.Sample, at time.Time, v float64) []health.Sample {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return samples
	}
	if len(samples) > 0 && !at.After(samples[len(samples)-1].At) {
		return samples
	}
	return append(samples, health.Sample{At: at, Value: v})
}

// SeriesHistory is what report builders read from the store: series name →
// samples of the trend window, oldest first. A nil seriesHistory (no store) has
// no samples.
type SeriesHistory map[string][]health.Sample

// BuildMemoryData extracts the memory figures from cur (prev for the GC
// interval) and fits the trends on hist.
func BuildMemoryData(cur, prev *reportdata.Snapshot, hist SeriesHistory) MemoryData {
	var d MemoryData
	var v vals
	m := buildMemory(cur, &v)
	d.SystemMemory = SystemMemoryData{Total: m.Total, Available: m.Available, Used: m.Used, Percent: m.Percent,
		Cached: m.Cached, Buffers: m.Buffers, Swap: m.Swap}
	p := buildProcess(cur, nil, &v) // memory figures need no previous snapshot
	d.ProcessMemory = ProcessMemoryData{Available: p.Available, PID: p.PID, RSS: p.Memory.RSS, VMS: p.Memory.VMS,
		Percent: p.MemoryPercent, Shared: p.Memory.Shared, Data: p.Memory.Data, process: p}

	rt := func(kv ...string) []string { return scoped(n.ScopeRuntime, kv...) }
	gc := &d.GarbageCollection
	rtm := buildRuntime(cur, &v)
	gc.ofBot = runtimeOfBot(cur, p)
	gc.CyclesTotal, gc.PauseTotalMS, gc.LastPauseMS = rtm.GC.Cycles, rtm.GC.PauseTotalMS, rtm.GC.LastPauseMS
	gc.HeapObjects, gc.HeapAlloc = rtm.Heap.Objects, rtm.Heap.Alloc
	cycles, secs, okC := cur.CounterDelta(prev, n.GoGCCycles, rt()...)
	pause, _, okP := cur.CounterDelta(prev, n.GoGCPauseTotal, rt()...)
	alloc, _, okA := cur.CounterDelta(prev, n.GoMemoryAllocated)
	freed, _, okF := cur.CounterDelta(prev, n.GoMemoryFreed, rt()...)
	gc.IntervalSeconds = format.RoundOpt(format.Opt(secs, okC), 3)
	gc.Cycles, gc.PauseMS = format.U64Opt(cycles, okC), format.RoundOpt(format.Opt(pause*1000, okP), 3)
	gc.AllocatedBytes, gc.FreedBytes = format.U64Opt(alloc, okA), format.U64Opt(freed, okF)
	if okA && okF && alloc > 0 {
		gc.CleanupEfficiencyPercent = new(format.Round(math.Min(100, 100*freed/alloc), 1))
	}

	at := cur.Time
	memS := withCurrent(hist[SeriesMemory], at, format.Num(m.Percent))
	heapS := withCurrent(hist[SeriesHeap], at, format.Num(rtm.Heap.Alloc))
	rssS := withCurrent(hist[SeriesProcessRSS], at, format.Num(d.ProcessMemory.RSS))
	d.Trends.SystemMemoryPercent, _ = trendData(specMemory, memS)
	d.Trends.Heap, _ = trendData(specHeap, heapS)
	var rt2 health.Trend
	d.Trends.ProcessRSS, rt2 = trendData(specRSS, rssS)
	if rt2.Samples >= health.MinTrendSamples && rt2.Window >= minTrendSpan {
		d.ProcessMemory.RSSTrendMBPerHour = new(format.Round(rt2.SlopePerHour/(1<<20), 3))
	}
	return d
}

// MemoryReport builds the memory performance report.
func MemoryReport(d MemoryData, at time.Time, host string, th reportdata.Thresholds) *reportdata.Report {
	sm := d.SystemMemory
	r := &reportdata.Report{Event: reportdata.EventMemory, Time: at, Host: host, Title: "Memory Performance", Emoji: "🧠", Data: d}
	r.Level = health.LevelOf(worstScore(health.Score(format.Num(sm.Percent), th.Memory)))
	pm := d.ProcessMemory
	gc := d.GarbageCollection
	heap := "heap"
	if !gc.ofBot {
		heap = "agent heap"
	}
	procHead := "no bot process"
	if pm.Available {
		procHead = "process RSS " + format.Bytes(format.Num(pm.RSS))
	} else if pm.PID != nil {
		procHead = processStatusText(pm.process)
	}
	r.Summary = fmt.Sprintf("%s · system %s · %s %s", procHead, format.Pct(format.Num(sm.Percent)), heap, d.Trends.Heap.Direction)

	if pm.Available {
		trend := "n/a (fewer than 3 samples)"
		if pm.RSSTrendMBPerHour != nil {
			trend = signed(*pm.RSSTrendMBPerHour, 2) + " MiB/h"
		}
		r.Sections = append(r.Sections, reportdata.Section{Name: "🤖 Process memory", Fields: []reportdata.Field{
			{Name: "RSS", Value: fmt.Sprintf("%s (%s)", format.Bytes(format.Num(pm.RSS)), format.Pct(format.Num(pm.Percent))), Inline: true},
			{Name: "VMS", Value: format.Bytes(format.Num(pm.VMS)), Inline: true},
			{Name: "Shared / data", Value: format.Bytes(format.Num(pm.Shared)) + " / " + format.Bytes(format.Num(pm.Data)), Inline: true},
			{Name: "RSS trend (1h)", Value: trend, Inline: true},
		}})
	} else {
		r.Sections = append(r.Sections, reportdata.Section{Name: "🤖 Process memory", Fields: []reportdata.Field{{Name: "Status", Value: processStatusText(pm.process)}}})
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "🧠 System memory", Fields: []reportdata.Field{
		{Name: "Used", Value: fmt.Sprintf("%s of %s (%s)", format.Bytes(format.Num(sm.Used)), format.Bytes(format.Num(sm.Total)), format.Pct(format.Num(sm.Percent))), Inline: true},
		{Name: "Available", Value: format.Bytes(format.Num(sm.Available)), Inline: true},
		{Name: "Cached / buffers", Value: format.Bytes(format.Num(sm.Cached)) + " / " + format.Bytes(format.Num(sm.Buffers)), Inline: true},
		{Name: "Swap", Value: swapText(sm.Swap), Inline: true},
	}})
	interval := "n/a"
	if gc.IntervalSeconds != nil {
		interval = format.Duration(time.Duration(*gc.IntervalSeconds * float64(time.Second)))
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "♻️ Garbage collection" + runtimeLabel(gc.ofBot), Fields: []reportdata.Field{
		{Name: "Interval", Value: interval, Inline: true},
		{Name: "Cycles", Value: fmt.Sprintf("%s (%s total)", format.Count(gc.Cycles), format.Count(gc.CyclesTotal)), Inline: true},
		{Name: "Pause", Value: fmt.Sprintf("%s (last %s)", format.MS(format.Num(gc.PauseMS)), format.MS(format.Num(gc.LastPauseMS))), Inline: true},
		{Name: "Allocated / freed", Value: format.Bytes(format.Num(gc.AllocatedBytes)) + " / " + format.Bytes(format.Num(gc.FreedBytes)), Inline: true},
		{Name: "Cleanup efficiency", Value: format.Pct(format.Num(gc.CleanupEfficiencyPercent)), Inline: true},
		{Name: "Heap", Value: fmt.Sprintf("%s · %s objects", format.Bytes(format.Num(gc.HeapAlloc)), format.Count(gc.HeapObjects)), Inline: true},
	}})
	r.Sections = append(r.Sections, reportdata.Section{Name: "📈 Trends (1h)", Fields: []reportdata.Field{
		{Name: "System memory", Value: trendText(d.Trends.SystemMemoryPercent)},
		{Name: "Process RSS", Value: trendText(d.Trends.ProcessRSS)},
		{Name: strings.ToUpper(heap[:1]) + heap[1:], Value: trendText(d.Trends.Heap)},
	}})
	return r
}

// trendText renders a trend: "increasing (+2.1 %/h) — degrading".
func trendText(t TrendData) string {
	if t.Samples < health.MinTrendSamples || t.Collecting {
		return fmt.Sprintf("collecting history (%d samples over %s; trends need %s)", t.Samples, format.Duration(time.Duration(t.WindowSeconds)*time.Second), format.Duration(minTrendSpan))
	}
	var rate string
	switch t.Unit {
	case "B":
		rate = signed(t.SlopePerHour/(1<<20), 2) + " MiB/h"
	default:
		rate = signed(t.SlopePerHour, 2) + " " + t.Unit + "/h"
	}
	s := fmt.Sprintf("%s (%s) — %s", t.Direction, rate, t.Meaning)
	if t.Forecast != "" {
		s += "\n⏳ " + t.Forecast
	}
	return s
}

// signed formats v with an explicit sign: "+2.10", "−0.30" (typographic minus), "0".
func signed(v float64, dec int) string {
	if math.Abs(v) < math.Pow(10, -float64(dec))/2 {
		return "0"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', dec, 64)
	if v < 0 {
		return "−" + s
	}
	return "+" + s
}
