package discordexporter

import (
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	n "github.com/nexusmon/nexusmon/internal/names"
)

// t0 is the fixtures' clock origin; agents' counters started an hour before.
var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// agentExport is what one nexusmon agent's OTLP export carries that the
// fleet reports read, with cumulative counters.
type agentExport struct {
	Service, InstanceID, Shard, Host string
	At                               time.Time
	CPUBusy, CPUIdle                 float64 // cumulative seconds over two cores
	MemPercent                       float64
	LatencySec                       float64 // gateway heartbeat latency
	Guilds                           int64
	OK, Failed                       int64 // cumulative command invocations
	Cmds                             []cmdSeries
}

// cmdSeries is one more command of an agentExport, with a cumulative
// duration histogram (bounds in seconds) when Counts is set.
type cmdSeries struct {
	Name, Module string
	OK, Failed   int64
	Bounds       []float64
	Counts       []uint64
}

const gib = 1 << 30

// add appends e as one ResourceMetrics to md.
func (e agentExport) add(md pmetric.Metrics) {
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource().Attributes()
	res.PutStr("service.name", e.Service)
	if e.InstanceID != "" {
		res.PutStr("service.instance.id", e.InstanceID)
	}
	if e.Shard != "" {
		res.PutStr("discord.shard.id", e.Shard)
	}
	if e.Host != "" {
		res.PutStr("host.name", e.Host)
	}
	start := pcommon.NewTimestampFromTime(t0.Add(-time.Hour))
	ts := pcommon.NewTimestampFromTime(e.At)
	host := rm.ScopeMetrics().AppendEmpty()
	host.Scope().SetName(n.ScopeHost)
	cpu := host.Metrics().AppendEmpty()
	cpu.SetName(n.SystemCPUTime)
	cpu.SetUnit("s")
	sum := cpu.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, core := range []int64{0, 1} {
		for mode, v := range map[string]float64{"user": e.CPUBusy / 2, "idle": e.CPUIdle / 2} {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(v)
			dp.Attributes().PutInt(n.AttrCPULogical, core)
			dp.Attributes().PutStr(n.AttrCPUMode, mode)
		}
	}
	gauge := func(sm pmetric.ScopeMetrics, name, unit string, v float64) {
		m := sm.Metrics().AppendEmpty()
		m.SetName(name)
		m.SetUnit(unit)
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(v)
	}
	total := 8.0 * gib
	gauge(host, n.SystemMemoryLimit, "By", total)
	gauge(host, n.SystemMemoryAvailable, "By", total*(1-e.MemPercent/100))

	bot := rm.ScopeMetrics().AppendEmpty()
	bot.Scope().SetName(n.ScopeBot)
	gauge(bot, n.DiscordConnected, "", 1)
	gauge(bot, n.DiscordLatency, "s", e.LatencySec)
	g := bot.Metrics().AppendEmpty()
	g.SetName(n.DiscordGuilds)
	gs := g.SetEmptySum()
	gs.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	gdp := gs.DataPoints().AppendEmpty()
	gdp.SetStartTimestamp(start)
	gdp.SetTimestamp(ts)
	gdp.SetIntValue(e.Guilds)
	inv := bot.Metrics().AppendEmpty()
	inv.SetName(n.CommandInvocations)
	is := inv.SetEmptySum()
	is.SetIsMonotonic(true)
	is.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for outcome, v := range map[string]int64{"success": e.OK, "failure": e.Failed} {
		dp := is.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetIntValue(v)
		dp.Attributes().PutStr(n.AttrCommandName, "ping")
		dp.Attributes().PutStr(n.AttrCommandModule, "core")
		dp.Attributes().PutStr(n.AttrOutcome, outcome)
		if outcome == "failure" {
			dp.Attributes().PutStr(n.AttrErrorType, "timeout")
		}
	}
	for _, c := range e.Cmds {
		for outcome, v := range map[string]int64{"success": c.OK, "failure": c.Failed} {
			dp := is.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(ts)
			dp.SetIntValue(v)
			dp.Attributes().PutStr(n.AttrCommandName, c.Name)
			dp.Attributes().PutStr(n.AttrCommandModule, c.Module)
			dp.Attributes().PutStr(n.AttrOutcome, outcome)
		}
		if c.Counts == nil {
			continue
		}
		h := bot.Metrics().AppendEmpty()
		h.SetName(n.CommandDuration)
		h.SetUnit("s")
		hh := h.SetEmptyHistogram()
		hh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := hh.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.ExplicitBounds().FromRaw(c.Bounds)
		dp.BucketCounts().FromRaw(c.Counts)
		var total uint64
		for _, v := range c.Counts {
			total += v
		}
		dp.SetCount(total)
		dp.Attributes().PutStr(n.AttrCommandName, c.Name)
		dp.Attributes().PutStr(n.AttrCommandModule, c.Module)
	}
}

// metrics returns one export holding every e.
func metrics(es ...agentExport) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, e := range es {
		e.add(md)
	}
	return md
}

func configopaqueString(s string) configopaque.String { return configopaque.String(s) }
