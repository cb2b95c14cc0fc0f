package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/internal/storeapi"
	"github.com/nexusmon/nexusmon/report/build"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// With a store, the Reporter's health report reads the stored hour and
// attaches the chart.
func TestReporter_HealthFromStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	for series, ss := range healthHistory(testTime) {
		for _, s := range ss {
			if err := st.SaveSamples(ctx, s.At, map[string]float64{series: s.Value}); err != nil {
				t.Fatal(err)
			}
		}
	}
	rep := NewReporter(Options{Store: st, Chart: ChartHook})
	r, err := rep.BuildNow(ctx, reportdata.EventHealth, reporttest.FullSnapshot(1))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Data.(build.HealthData)
	if d.PerformanceTrends.MemoryPercent.Samples != 61 || d.PerformanceTrends.DiscordAPIMS.Samples != 61 {
		t.Errorf("trends from store = %+v", d.PerformanceTrends)
	}
	if len(r.Files) != 1 || r.Image != reportdata.ChartFile {
		t.Fatalf("files %v image %q", r.Files, r.Image)
	}
	decodeHealthChart(t, r.Files[0].Data)
	p, err := RenderHook(r, false)
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageURL != "attachment://"+reportdata.ChartFile {
		t.Errorf("embed image = %q", p.ImageURL)
	}
}

// The memory report reads its trends from the store through the Reporter.
func TestReporter_MemoryTrendFromStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	for _, s := range risingHistory(testTime)[build.SeriesMemory] {
		if err := st.SaveSamples(ctx, s.At, map[string]float64{build.SeriesMemory: s.Value}); err != nil {
			t.Fatal(err)
		}
	}
	rep := NewReporter(Options{Store: st})
	r, err := rep.BuildNow(ctx, reportdata.EventMemory, reporttest.BareSnapshot(testTime, 46))
	if err != nil {
		t.Fatal(err)
	}
	tr := r.Data.(build.MemoryData).Trends.SystemMemoryPercent
	if tr.Samples != 61 || tr.Direction != "increasing" || math.Abs(tr.SlopePerHour-6) > 0.5 {
		t.Errorf("trend from store = %+v", tr)
	}
}

// TestReporter_FirstReportStoresNoCPU drives the system reader's path: the
// first export stores no CPU sample, the second stores the interval's.
func TestReporter_FirstReportStoresNoCPU(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	var console strings.Builder
	rep := NewReporter(Options{Host: "host-1", Store: st, Console: hookConsole{&console}})
	if err := rep.handle(ctx, reportdata.EventSystem, reporttest.FullSnapshot(0), nil); err != nil {
		t.Fatal(err)
	}
	ss, err := st.Samples(ctx, build.SeriesCPU, reporttest.SnapStart)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 0 {
		t.Errorf("first export stored CPU samples %+v", ss)
	}
	wantLines(t, console.String(), "Usage: n/a (first report)")
	if err := rep.handle(ctx, reportdata.EventSystem, reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)); err != nil {
		t.Fatal(err)
	}
	if ss, err = st.Samples(ctx, build.SeriesCPU, reporttest.SnapStart); err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || ss[0].Value != 25 {
		t.Errorf("CPU samples %+v, want one of 25", ss)
	}
}

// A value that could not be read is evaluated as no alert value (NaN),
// never as 0 (TestBuildSystemData_MissingValues has the rest).
func TestSystemAlertValues_MissingValues(t *testing.T) {
	t.Parallel()
	d := build.BuildSystemData(reporttest.FailingSnapshot(), reporttest.HostBefore())
	if v := systemAlertValues(d); !math.IsNaN(v[ruleMemory]) {
		t.Errorf("memory alert value %v for a missing value", v[ruleMemory])
	}
}

// Copies of report/build's test helpers (test files cannot be imported).

// healthHistory is an hour of samples, one a minute before at: CPU flat at
// 25 %, memory rising from 60 % by 24 %/h (heading for the 90 % line),
// gateway latency flat at 40 ms, Discord API flat at 200 ms.
func healthHistory(at time.Time) build.SeriesHistory {
	h := build.SeriesHistory{}
	for i := 60; i >= 1; i-- {
		ts := at.Add(-time.Duration(i) * time.Minute)
		hours := float64(60-i) / 60
		add := func(series string, v float64) { h[series] = append(h[series], health.Sample{At: ts, Value: v}) }
		add(build.SeriesCPU, 25)
		add(build.SeriesMemory, 60+24*hours)
		add(build.SeriesLatency, 40)
		add(build.SeriesAPI, 200)
		add(build.SeriesProbeAvailability, 100)
	}
	return h
}

// risingHistory is an hour of samples, one a minute up to at (excluded):
// memory from 40 % up by 6 %/h, RSS up by 12 MiB/h, heap flat.
func risingHistory(at time.Time) build.SeriesHistory {
	h := build.SeriesHistory{}
	for i := 60; i >= 1; i-- {
		ts := at.Add(-time.Duration(i) * time.Minute)
		hours := float64(60-i) / 60
		h[build.SeriesMemory] = append(h[build.SeriesMemory], health.Sample{At: ts, Value: 40 + 6*hours})
		h[build.SeriesProcessRSS] = append(h[build.SeriesProcessRSS], health.Sample{At: ts, Value: 40<<20 + 12*(1<<20)*hours})
		h[build.SeriesHeap] = append(h[build.SeriesHeap], health.Sample{At: ts, Value: 24 << 20})
	}
	return h
}

// wantLines checks that text contains each line.
func wantLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	var missing []string
	for _, l := range lines {
		if !strings.Contains(text, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		t.Errorf("text lacks %q:\n%s", missing, text)
	}
}

// decodeHealthChart is chart_test's decodeChart.
func decodeHealthChart(t *testing.T, b []byte) image.Image {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode config: %v", err)
	}
	if format != "png" {
		t.Fatalf("format %q, want png", format)
	}
	if cfg.Width != 800 || cfg.Height != 400 {
		t.Fatalf("size %dx%d, want %dx%d", cfg.Width, cfg.Height, 800, 400)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

// countingStore counts the Reporter's report writes and history reads.
type countingStore struct {
	*store.Store
	saves, reads atomic.Int32
}

func (c *countingStore) SaveReportAndSamples(ctx context.Context, at time.Time, kind string, data []byte, values map[string]float64) error {
	c.saves.Add(1)
	return c.Store.SaveReportAndSamples(ctx, at, kind, data, values)
}

func (c *countingStore) SamplesBetween(ctx context.Context, from, to time.Time, series ...string) (map[string][]storeapi.Sample, error) {
	c.reads.Add(1)
	return c.Store.SamplesBetween(ctx, from, to, series...)
}

// A system report is stored with its samples in one write, and the health
// report reads the seven series it needs in one read.
func TestReporter_OneWritePerReportOneReadPerHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := &countingStore{Store: openStore(t, t.TempDir())}
	rep := NewReporter(Options{Host: "host-1", Store: st})
	if err := rep.handle(ctx, reportdata.EventSystem, reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)); err != nil {
		t.Fatal(err)
	}
	if n := st.saves.Load(); n != 1 {
		t.Errorf("a system report made %d report writes, want 1", n)
	}
	at := reporttest.FullSnapshot(1).Time
	recs, err := st.Reports(ctx, string(reportdata.EventSystem), time.Time{}, 0)
	if err != nil || len(recs) != 1 || !recs[0].At.Equal(at.UTC().Truncate(time.Millisecond)) {
		t.Errorf("stored reports %+v, %v; want one at %v", recs, err, at)
	}
	if ss, err := st.Samples(ctx, build.SeriesCPU, time.Time{}); err != nil || len(ss) != 1 || !ss[0].At.Equal(recs[0].At) {
		t.Errorf("CPU samples %+v, %v; want one at the report's time", ss, err)
	}
	if _, err := rep.BuildNow(ctx, reportdata.EventHealth, reporttest.FullSnapshot(2)); err != nil {
		t.Fatal(err)
	}
	if n := st.reads.Load(); n != 1 {
		t.Errorf("a health report made %d history reads, want 1 for its %d series", n, len(build.HealthSeries))
	}
}
