package discordexporter

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	n "github.com/nexusmon/nexusmon/internal/names"
)

func TestFromPdata_InstancesAndPoints(t *testing.T) {
	md := metrics(
		agentExport{Service: "bot-a", InstanceID: "i-1", Shard: "0", Host: "h1", At: t0, CPUBusy: 10, CPUIdle: 30, Guilds: 5},
		agentExport{Service: "bot-a", InstanceID: "i-2", Shard: "1", Host: "h1", At: t0, CPUBusy: 20, CPUIdle: 20, Guilds: 7},
		agentExport{Service: "bot-b", InstanceID: "i-3", Host: "h2", At: t0, Guilds: 9},
	)
	got := fromPdata(md, "service.name")
	if len(got) != 3 {
		t.Fatalf("%d snapshots, want 3", len(got))
	}
	want := []fleet.Identity{
		{Group: "bot-a", InstanceID: "i-1", ShardID: "0", Host: "h1"},
		{Group: "bot-a", InstanceID: "i-2", ShardID: "1", Host: "h1"},
		{Group: "bot-b", InstanceID: "i-3", Host: "h2"},
	}
	for i, w := range want {
		if got[i].ID != w {
			t.Errorf("snapshot %d identity = %+v, want %+v", i, got[i].ID, w)
		}
		if !got[i].Snap.Time.Equal(t0) {
			t.Errorf("snapshot %d time = %v, want %v", i, got[i].Snap.Time, t0)
		}
	}
	if l := got[0].ID.Label(); l != "shard 0 · h1" {
		t.Errorf("label = %q", l)
	}
	if l := got[2].ID.Label(); l != "h2 · i-3" {
		t.Errorf("label without shard = %q", l)
	}
	s := got[1].Snap
	if s.Resource["service.instance.id"] != "i-2" {
		t.Errorf("resource = %v", s.Resource)
	}
	// Points keep their attributes (ints as the SDK adapter writes them)
	// and carry the scope pseudo-attribute the builders filter on.
	busy, ok := s.Sum(n.SystemCPUTime, n.AttrScope, n.ScopeHost, n.AttrCPUMode, "user")
	if !ok || busy != 20 {
		t.Errorf("busy cpu seconds = %v, %v; want 20", busy, ok)
	}
	if v, ok := s.Value(n.SystemCPUTime, n.AttrCPULogical, "1", n.AttrCPUMode, "idle"); !ok || v != 10 {
		t.Errorf("core 1 idle = %v, %v; want 10", v, ok)
	}
	if v, ok := s.Value(n.DiscordGuilds, n.AttrScope, n.ScopeBot); !ok || v != 7 {
		t.Errorf("guilds = %v, %v; want 7", v, ok)
	}
}

func TestFromPdata_GroupBy(t *testing.T) {
	md := metrics(agentExport{Service: "bot-a", InstanceID: "i-1", At: t0})
	md.ResourceMetrics().At(0).Resource().Attributes().PutStr("deployment.environment.name", "prod")
	got := fromPdata(md, "deployment.environment.name")
	if len(got) != 1 || got[0].ID.Group != "prod" {
		t.Fatalf("group = %+v, want prod", got)
	}
	if got := fromPdata(md, "no.such.key"); got[0].ID.Group != "" {
		t.Errorf("group of a missing key = %q, want empty", got[0].ID.Group)
	}
}

// Two exports of one instance in one batch (the batch processor merges
// them): the newest point of each series wins, counters are not summed.
func TestFromPdata_SameInstanceTwiceKeepsNewest(t *testing.T) {
	a := agentExport{Service: "bot-a", InstanceID: "i-1", Shard: "3", At: t0, CPUBusy: 10, CPUIdle: 30, OK: 5}
	b := a
	b.At, b.CPUBusy, b.OK = t0.Add(time.Minute), 16, 9
	got := fromPdata(metrics(b, a), "service.name") // newer first: order must not matter
	if len(got) != 1 {
		t.Fatalf("%d snapshots, want 1", len(got))
	}
	s := got[0].Snap
	if !s.Time.Equal(b.At) {
		t.Errorf("time = %v, want %v", s.Time, b.At)
	}
	if busy, _ := s.Sum(n.SystemCPUTime, n.AttrCPUMode, "user"); busy != 16 {
		t.Errorf("busy = %v, want 16 (the newer export's, not a sum)", busy)
	}
	if ok, _ := s.Sum(n.CommandInvocations, n.AttrOutcome, "success"); ok != 9 {
		t.Errorf("successes = %v, want 9", ok)
	}
	if pts := s.Points(n.CommandInvocations); len(pts) != 2 {
		t.Errorf("%d invocation points, want 2 (success, failure)", len(pts))
	}
}

// The agent sends its shard as a gauge today; the adapter takes it when
// the resource has no discord.shard.id.
func TestFromPdata_ShardFromGauge(t *testing.T) {
	md := metrics(agentExport{Service: "bot-a", InstanceID: "i-1", Host: "h", At: t0})
	sm := md.ResourceMetrics().At(0).ScopeMetrics().At(1)
	m := sm.Metrics().AppendEmpty()
	m.SetName(n.DiscordShardID)
	m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(4)
	got := fromPdata(md, "service.name")
	if got[0].ID.ShardID != "4" || got[0].ID.Label() != "shard 4 · h" {
		t.Errorf("identity = %+v", got[0].ID)
	}
}

func TestFromPdata_Histogram(t *testing.T) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "bot")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(n.ScopeBot)
	m := sm.Metrics().AppendEmpty()
	m.SetName(n.CommandDuration)
	m.SetUnit("s")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := h.DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
	dp.ExplicitBounds().FromRaw([]float64{0.1, 1})
	dp.BucketCounts().FromRaw([]uint64{3, 2, 1})
	dp.SetCount(6)
	dp.SetSum(4.5)
	dp.SetMax(2.5)
	dp.Attributes().PutStr(n.AttrCommandName, "ping")
	ex := dp.Exemplars().AppendEmpty()
	ex.SetDoubleValue(2.5)
	ex.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	// Exponential histograms are not read by any report: skipped.
	e := sm.Metrics().AppendEmpty()
	e.SetName("some.exponential")
	e.SetEmptyExponentialHistogram().DataPoints().AppendEmpty()

	s := fromPdata(md, "service.name")[0].Snap
	pts := s.Points(n.CommandDuration, n.AttrCommandName, "ping", n.AttrScope, n.ScopeBot)
	if len(pts) != 1 || pts[0].Hist == nil {
		t.Fatalf("points = %+v", pts)
	}
	hg := pts[0].Hist
	if hg.Count != 6 || hg.Sum != 4.5 || pts[0].Value != 4.5 || hg.Max != 2.5 || !math.IsNaN(hg.Min) ||
		len(hg.Bounds) != 2 || len(hg.Counts) != 3 || hg.Counts[2] != 1 {
		t.Errorf("histogram = %+v", hg)
	}
	if len(hg.Exemplars) != 1 || hg.Exemplars[0].TraceID != "0102030405060708090a0b0c0d0e0f10" || hg.Exemplars[0].SpanID != "" {
		t.Errorf("exemplars = %+v", hg.Exemplars)
	}
	if s.Has("some.exponential") {
		t.Error("an exponential histogram was kept")
	}
}
