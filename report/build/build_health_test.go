package build

import (
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"

	"github.com/nexusmon/nexusmon/health"
)

// healthHistory is an hour of samples, one a minute before at: CPU flat at
// 25 %, memory rising from 60 % by 24 %/h (heading for the 90 % line),
// gateway latency flat at 40 ms, Discord API flat at 200 ms.
func healthHistory(at time.Time) SeriesHistory {
	h := SeriesHistory{}
	for i := 60; i >= 1; i-- {
		ts := at.Add(-time.Duration(i) * time.Minute)
		hours := float64(60-i) / 60
		add := func(series string, v float64) { h[series] = append(h[series], health.Sample{At: ts, Value: v}) }
		add(SeriesCPU, 25)
		add(SeriesMemory, 60+24*hours)
		add(SeriesLatency, 40)
		add(SeriesAPI, 200)
		add(SeriesProbeAvailability, 100)
	}
	return h
}

func TestHealthReport_Golden(t *testing.T) {
	t.Parallel()
	alerts := []reportdata.AlertStatus{{Rule: health.RuleMemory, Metric: "memory usage", Severity: "warning", Value: 84, Unit: "%",
		Threshold: 75, Peak: 84.5, Since: testTime.Add(-18 * time.Minute)}}
	hot := reporttest.FullSnapshot(1)
	hot.Metric("system.memory.linux.available").Points[0].Value = 0.16 * 8 * reporttest.Gib // 84 %
	cases := map[string]struct {
		cur, prev *reportdata.Snapshot
		hist      SeriesHistory
		alerts    []reportdata.AlertStatus
	}{
		"health":         {hot, reporttest.FullSnapshot(0), healthHistory(testTime), alerts},
		"health_minimal": {reporttest.BareSnapshot(testTime, 41), nil, nil, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, ci := BuildHealthData(c.cur, c.prev, c.hist, reportdata.DefaultThresholds(), c.alerts)
			png, err := ChartHook(ci)
			if err != nil {
				t.Fatal(err)
			}
			checkReportGolden(t, name, HealthReport(d, c.cur.Time, "host-1", png))
		})
	}
}

func TestBuildHealthData(t *testing.T) {
	t.Parallel()
	hot := reporttest.FullSnapshot(1)
	hot.Metric("system.memory.linux.available").Points[0].Value = 0.16 * 8 * reporttest.Gib // 84 %
	d, ci := BuildHealthData(hot, reporttest.FullSnapshot(0), healthHistory(testTime), reportdata.DefaultThresholds(), nil)

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
	if len(ci.Memory) != 61 || ci.MemoryTh != reportdata.DefaultThresholds().Memory || !ci.End.Equal(testTime) {
		t.Errorf("chart input: %d memory samples, thresholds %+v, end %v", len(ci.Memory), ci.MemoryTh, ci.End)
	}

	// Nothing but the host: network and discord are unavailable, trends
	// stable, and the report still has every key.
	d, _ = BuildHealthData(reporttest.BareSnapshot(testTime, 41), nil, nil, reportdata.DefaultThresholds(), nil)
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
	s := reporttest.BareSnapshot(testTime, 41)
	reporttest.AddProbe(s, reporttest.ProbeSpec{URL: "https://discord.com/api/v10/gateway", Kind: ProbeKindDiscordAPI, OK: false, TotalMS: 31, ErrType: "connect", ErrCount: 2})
	d, _ := BuildHealthData(s, nil, nil, reportdata.DefaultThresholds(), nil)
	c := d.ComponentHealth[health.ComponentDiscord]
	if !c.Available || *c.Score != 0 || c.Level != "Critical" || *c.Value != 31 || !strings.Contains(c.Detail, "connect") {
		t.Errorf("discord down = %+v", c)
	}
	if d.OverallHealth.Score > 25 {
		t.Errorf("overall %v with Discord unreachable, want ≤ 25", d.OverallHealth.Score)
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
