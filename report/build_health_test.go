package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/health"
)

// healthHistory is an hour of samples, one a minute before at: CPU flat at
// 25 %, memory rising from 60 % by 24 %/h (heading for the 90 % line),
// gateway latency flat at 40 ms, Discord API flat at 200 ms.
func healthHistory(at time.Time) seriesHistory {
	h := seriesHistory{}
	for i := 60; i >= 1; i-- {
		ts := at.Add(-time.Duration(i) * time.Minute)
		hours := float64(60-i) / 60
		add := func(series string, v float64) { h[series] = append(h[series], health.Sample{At: ts, Value: v}) }
		add(SeriesCPU, 25)
		add(SeriesMemory, 60+24*hours)
		add(SeriesLatency, 40)
		add(SeriesAPI, 200)
		add(seriesProbeAvailability, 100)
	}
	return h
}

func TestHealthReport_Golden(t *testing.T) {
	t.Parallel()
	alerts := []AlertStatus{{Rule: health.RuleMemory, Metric: "memory usage", Severity: "warning", Value: 84, Unit: "%",
		Threshold: 75, Peak: 84.5, Since: testTime.Add(-18 * time.Minute)}}
	hot := fullSnapshot(1)
	hot.metrics["system.memory.linux.available"].Points[0].Value = 0.16 * 8 * gib // 84 %
	cases := map[string]struct {
		cur, prev *Snapshot
		hist      seriesHistory
		alerts    []AlertStatus
	}{
		"health":         {hot, fullSnapshot(0), healthHistory(testTime), alerts},
		"health_minimal": {bareSnapshot(testTime, 41), nil, nil, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, ci := buildHealthData(c.cur, c.prev, c.hist, DefaultThresholds(), c.alerts)
			png, err := ChartHook(ci)
			if err != nil {
				t.Fatal(err)
			}
			checkReportGolden(t, name, healthReport(d, c.cur.Time, "host-1", png))
		})
	}
}

func TestBuildHealthData(t *testing.T) {
	t.Parallel()
	hot := fullSnapshot(1)
	hot.metrics["system.memory.linux.available"].Points[0].Value = 0.16 * 8 * gib // 84 %
	d, ci := buildHealthData(hot, fullSnapshot(0), healthHistory(testTime), DefaultThresholds(), nil)

	mem := d.ComponentHealth[health.ComponentMemory]
	// 84 % between the 75 and 90 lines: 75 − 50·9/15 = 45, Poor.
	if !mem.Available || *mem.Value != 84 || *mem.Score != 45 || mem.Level != "Poor" {
		t.Errorf("memory = %+v", mem)
	}
	for _, name := range []string{health.ComponentCPU, health.ComponentDisk, health.ComponentNetwork, health.ComponentDiscord} {
		if c := d.ComponentHealth[name]; !c.Available || c.Score == nil {
			t.Errorf("%s unavailable: %+v", name, c)
		}
	}
	if v := *d.ComponentHealth[health.ComponentNetwork].Value; v != 42 {
		t.Errorf("network = %v, want the gateway latency 42", v)
	}
	// Overall: at most 25 above the worst component.
	if d.OverallHealth.Score > 70 || d.OverallHealth.Level != "Fair" {
		t.Errorf("overall = %+v", d.OverallHealth)
	}
	tr := d.PerformanceTrends
	if tr.MemoryPercent.Direction != "increasing" || !strings.Contains(tr.MemoryPercent.Forecast, "reaches 90 %") {
		t.Errorf("memory trend = %+v", tr.MemoryPercent)
	}
	if tr.CPUPercent.Direction != "stable" || tr.CPUPercent.Forecast != "" || tr.GatewayLatencyMS.Samples != 61 {
		t.Errorf("trends = %+v", tr)
	}
	var titles []string
	for _, r := range d.Recommendations {
		titles = append(titles, r.Title)
		if len(r.Evidence) == 0 {
			t.Errorf("recommendation %q without evidence", r.Title)
		}
	}
	if !containsString(titles, "Memory usage is high") || !containsString(titles, "memory usage is degrading") {
		t.Errorf("recommendations = %q", titles)
	}
	if d.ActiveAlerts == nil {
		t.Error("active_alerts is null, want []")
	}
	if len(ci.Memory) != 61 || ci.MemoryTh != DefaultThresholds().Memory || !ci.End.Equal(testTime) {
		t.Errorf("chart input: %d memory samples, thresholds %+v, end %v", len(ci.Memory), ci.MemoryTh, ci.End)
	}

	// Nothing but the host: network and discord are unavailable, trends
	// stable, and the report still has every key.
	d, _ = buildHealthData(bareSnapshot(testTime, 41), nil, nil, DefaultThresholds(), nil)
	if c := d.ComponentHealth[health.ComponentDiscord]; c.Available || c.Value != nil || c.Level != "unavailable" {
		t.Errorf("discord without probes = %+v", c)
	}
	if c := d.ComponentHealth[health.ComponentMemory]; !c.Available {
		t.Errorf("memory = %+v", c)
	}
	if d.PerformanceTrends.MemoryPercent.Direction != "stable" {
		t.Errorf("memory trend without history = %+v", d.PerformanceTrends.MemoryPercent)
	}
}

func TestBuildHealthData_DiscordDown(t *testing.T) {
	t.Parallel()
	s := bareSnapshot(testTime, 41)
	addProbe(s, probeSpec{url: "https://discord.com/api/v10/gateway", kind: probeKindDiscordAPI, ok: false, totalMS: 31, errType: "connect", errCount: 2})
	d, _ := buildHealthData(s, nil, nil, DefaultThresholds(), nil)
	c := d.ComponentHealth[health.ComponentDiscord]
	if !c.Available || *c.Score != 0 || c.Level != "Critical" || *c.Value != 31 || !strings.Contains(c.Detail, "connect") {
		t.Errorf("discord down = %+v", c)
	}
	if d.OverallHealth.Score > 25 {
		t.Errorf("overall %v with Discord unreachable, want ≤ 25", d.OverallHealth.Score)
	}
}

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
	r, err := rep.BuildNow(ctx, EventHealth, fullSnapshot(1))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Data.(HealthData)
	if d.PerformanceTrends.MemoryPercent.Samples != 61 || d.PerformanceTrends.DiscordAPIMS.Samples != 61 {
		t.Errorf("trends from store = %+v", d.PerformanceTrends)
	}
	if len(r.Files) != 1 || r.Image != ChartFile {
		t.Fatalf("files %v image %q", r.Files, r.Image)
	}
	decodeHealthChart(t, r.Files[0].Data)
	p, err := RenderHook(r, false)
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageURL != "attachment://"+ChartFile {
		t.Errorf("embed image = %q", p.ImageURL)
	}
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
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
