package commands

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"

	n "github.com/nexusmon/nexusmon/internal/names"
)

func TestQuantile_KnownData(t *testing.T) {
	t.Parallel()
	// 1..100 once each in buckets of 10: the estimate is exact.
	bounds := []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	counts := []uint64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0}
	for _, c := range []struct{ q, want float64 }{{0.5, 50}, {0.95, 95}, {0.99, 99}, {0.1, 10}, {1, 100}} {
		if got := quantile(bounds, counts, c.q, 0, 100); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("q%.2f = %v, want %v", c.q, got, c.want)
		}
	}
	// Everything in the overflow bucket: interpolated up to the recorded max.
	if got := quantile([]float64{1, 2}, []uint64{0, 0, 4}, 0.5, 0, 10); got != 6 {
		t.Errorf("overflow median = %v, want 6 (between 2 and max 10)", got)
	}
	// The recorded min and max bound the estimate.
	if got := quantile([]float64{10, 20}, []uint64{0, 8, 0}, 0.99, 14, 15); math.Abs(got-14.99) > 1e-9 {
		t.Errorf("clamped p99 = %v, want 14.99 (interpolated in [14, 15])", got)
	}
	if got := quantile(bounds, make([]uint64, 11), 0.5, 0, 100); !math.IsNaN(got) {
		t.Errorf("empty = %v, want NaN", got)
	}
	if got := histMax(bounds, counts, 1000); got != 100 {
		t.Errorf("max = %v, want 100", got)
	}
}

func TestBucketDelta(t *testing.T) {
	t.Parallel()
	prev := reporttest.HistOf(reporttest.RepeatDur(0.04, 100))
	cur := reporttest.HistOf(append(reporttest.RepeatDur(0.04, 100), append(reporttest.RepeatDur(0.2, 50), reporttest.RepeatDur(0.4, 50)...)...))
	d := bucketDelta(cur, prev)
	var total uint64
	for _, c := range d {
		total += c
	}
	if total != 100 || d[6] != 50 || d[7] != 50 {
		t.Errorf("delta = %v, want 50 in (0.1, 0.25] and 50 in (0.25, 0.5]", d)
	}
	// The interval's percentiles ignore the 100 earlier runs at 40 ms; the
	// top bucket is interpolated up to the recorded maximum, 400 ms.
	var a DurationAgg
	a.add(cur, prev)
	p50, p95, p99, mx := a.percentiles()
	if p50 != 250 || p95 != 385 || p99 != 397 || mx != 400 {
		t.Errorf("p50/p95/p99/max = %v/%v/%v/%v ms, want 250/385/397/400", p50, p95, p99, mx)
	}
	// A reset (counts went down) or other bounds: the current counts.
	if d := bucketDelta(prev, cur); d[3] != 100 {
		t.Errorf("reset delta = %v", d)
	}
}

func TestBuildCommandData(t *testing.T) {
	t.Parallel()
	d := BuildCommandData(reporttest.FullSnapshot(1), reporttest.FullSnapshot(0))
	tot := d.Totals
	if !d.BotAttached || d.IntervalSeconds != 60 || tot.Executions != 120 || tot.Failures != 2 || tot.Successes != 118 ||
		tot.SuccessRate == nil || *tot.SuccessRate != 98.33 {
		t.Errorf("totals = %+v", tot)
	}
	if len(d.Commands) != 2 || d.Commands[0].Name != "play" || d.Commands[0].Executions != 100 || d.Commands[0].P95MS != 385 ||
		d.Commands[1].Name != "queue" || d.Commands[1].Failures != 2 || d.Commands[1].Module != "music" {
		t.Errorf("commands = %+v", d.Commands)
	}
	if len(d.Modules) != 1 || d.Modules[0].Name != "music" || d.Modules[0].Executions != 120 || d.Modules[0].Module != "" {
		t.Errorf("modules = %+v", d.Modules)
	}
	if len(d.TopGuilds) != 2 || d.TopGuilds[0].ID != "123456789012345678" || d.TopGuilds[0].Invocations != 70 ||
		len(d.TopChannels) != 1 || d.TopChannels[0].Invocations != 120 {
		t.Errorf("top = %+v %+v", d.TopGuilds, d.TopChannels)
	}
	if d.RegisteredModules == nil || *d.RegisteredModules != 2 || *d.RegisteredCommands != 5 {
		t.Errorf("registered = %v %v", d.RegisteredModules, d.RegisteredCommands)
	}
}

func TestTopInvocations_Top5(t *testing.T) {
	t.Parallel()
	s := reportdata.NewSnapshot(testTime, nil)
	for i, c := range []float64{5, 9, 1, 7, 3, 9, 0, 2} {
		s.Add(n.CommandGuildInvocations, "1", reporttest.Pt(n.ScopeBot, c, n.AttrGuildID, string(rune('a'+i))))
	}
	got := topInvocations(s, nil, n.CommandGuildInvocations, n.AttrGuildID)
	want := []InvocationTop{{"b", 9}, {"f", 9}, {"d", 7}, {"a", 5}, {"e", 3}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
			break
		}
	}
}

func TestCommandsReport_NoBot(t *testing.T) {
	t.Parallel()
	d := BuildCommandData(reporttest.BareSnapshot(testTime, 41), nil)
	r := CommandsReport(d, testTime, "host-1", reportdata.DefaultThresholds())
	if r.Summary == "" || r.Sections[0].Fields[0].Value != "no bot session attached" {
		t.Errorf("report does not say there is no bot: %q %+v", r.Summary, r.Sections)
	}
	b, err := json.Marshal(r.Envelope())
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"commands": "[]", "modules": "[]", "top_guilds": "[]", "top_channels": "[]", "bot_attached": "false",
		"totals": `{"executions":0,"successes":0,"failures":0,"success_rate":null,"late_answers":0,"p50_ms":0,"p95_ms":0,"p99_ms":0,"max_ms":0}`,
	}
	for k, v := range want {
		if got := string(env.Data[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	checkReportGolden(t, "commands_no_bot", r)
}

func TestCommandsReport_Golden(t *testing.T) {
	t.Parallel()
	d := BuildCommandData(reporttest.FullSnapshot(1), reporttest.FullSnapshot(0))
	checkReportGolden(t, "commands", CommandsReport(d, testTime, "host-1", reportdata.DefaultThresholds()))
}

// CommandDurations gives the histograms behind BuildCommandData's
// percentiles, and merging two instances' histograms of the same bounds
// adds their bucket counts (the fleet's command analysis); other bounds
// leave the merge without percentiles.
func TestCommandDurations_Merge(t *testing.T) {
	t.Parallel()
	cur, prev := reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)
	d := BuildCommandData(cur, prev)
	all, by := CommandDurations(cur, prev)
	p50, p95, p99, mx := all.Percentiles()
	if all.Count() != d.Totals.Executions || p50 != d.Totals.P50MS || p95 != d.Totals.P95MS || p99 != d.Totals.P99MS || mx != d.Totals.MaxMS {
		t.Errorf("all: %d values, %v/%v/%v/%v; BuildCommandData totals %+v", all.Count(), p50, p95, p99, mx, d.Totals)
	}
	if play := by["play"]; play == nil || play.Count() != 100 {
		t.Fatalf("by command = %+v", by)
	}
	if _, p95, _, _ := by["play"].Percentiles(); p95 != d.Commands[0].P95MS {
		t.Errorf("play p95 = %v, want %v", p95, d.Commands[0].P95MS)
	}
	var fleet DurationAgg
	fleet.Merge(all)
	fleet.Merge(all)
	if fleet.Mixed() || fleet.Count() != 2*all.Count() {
		t.Fatalf("merged: mixed %v, %d values", fleet.Mixed(), fleet.Count())
	}
	if f50, f95, f99, fmx := fleet.Percentiles(); f50 != p50 || f95 != p95 || f99 != p99 || fmx != mx {
		t.Errorf("two equal instances: %v/%v/%v/%v, want %v/%v/%v/%v", f50, f95, f99, fmx, p50, p95, p99, mx)
	}
	// Merging must not change the instance's own counts.
	if all.Count() != d.Totals.Executions {
		t.Errorf("merge changed its source: %d", all.Count())
	}
	var other DurationAgg
	other.add(&reportdata.Histogram{Bounds: []float64{1, 2}, Counts: []uint64{1, 0, 0}, Count: 1, Min: 0.5, Max: 0.5}, nil)
	fleet.Merge(other)
	if !fleet.Mixed() {
		t.Fatal("different bounds did not make the merge mixed")
	}
	if p50, _, _, _ := fleet.Percentiles(); p50 != 0 {
		t.Errorf("mixed p50 = %v, want 0 (none)", p50)
	}
}
