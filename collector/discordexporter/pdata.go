package discordexporter

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report"
)

// Resource attributes that tell instances apart.
const (
	attrInstanceID = "service.instance.id"
	attrShardID    = names.DiscordShardID // a resource attribute, or the agent's gauge of that name
	attrHost       = "host.name"
)

// fromPdata turns one export into a Snapshot per instance, in the order
// instances first appear. Resources with the same identity are merged;
// where a batch holds the same series (metric, scope, attributes) more than
// once (two exports of one instance batched together), the newest point
// wins, so cumulative sums are never added up twice. Gauges, sums and
// explicit-bucket histograms are kept; exponential histograms and summaries
// are not read by any report and are skipped. Sums are taken as
// cumulative, as the agent and the OTel SDKs export them by default.
func fromPdata(md pmetric.Metrics, groupBy string) []fleet.InstanceSnapshot {
	type series struct {
		name, unit string
		pt         report.Point
	}
	type acc struct {
		id     fleet.Identity
		res    map[string]string
		series map[string]*series
		order  []string
		latest time.Time
	}
	var order []string
	byKey := map[string]*acc{}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		res := attrMap(rm.Resource().Attributes(), "")
		id := fleet.Identity{Group: res[groupBy], InstanceID: res[attrInstanceID], ShardID: res[attrShardID], Host: res[attrHost]}
		if id.ShardID == "" {
			id.ShardID = shardGauge(rm)
		}
		k := id.Key()
		a := byKey[k]
		if a == nil {
			a = &acc{id: id, res: res, series: map[string]*series{}}
			byKey[k] = a
			order = append(order, k)
		}
		add := func(name, unit string, p report.Point) {
			sk := seriesKey(name, p.Attrs)
			if s := a.series[sk]; s != nil {
				if p.Time.After(s.pt.Time) {
					s.pt = p
				}
			} else {
				a.series[sk] = &series{name: name, unit: unit, pt: p}
				a.order = append(a.order, sk)
			}
			if p.Time.After(a.latest) {
				a.latest = p.Time
			}
		}
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			scope := sm.Scope().Name()
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				name, unit := m.Name(), m.Unit()
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					numberPoints(m.Gauge().DataPoints(), scope, func(p report.Point) { add(name, unit, p) })
				case pmetric.MetricTypeSum:
					numberPoints(m.Sum().DataPoints(), scope, func(p report.Point) { add(name, unit, p) })
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						add(name, unit, histPoint(dps.At(d), scope))
					}
				}
			}
		}
	}
	out := make([]fleet.InstanceSnapshot, 0, len(order))
	for _, k := range order {
		a := byKey[k]
		s := report.NewSnapshot(a.latest, a.res)
		for _, sk := range a.order {
			ser := a.series[sk]
			s.Add(ser.name, ser.unit, ser.pt)
		}
		out = append(out, fleet.InstanceSnapshot{ID: a.id, Snap: s})
	}
	return out
}

// shardGauge returns the value of the agent's discord.shard.id gauge in
// rm, "" when it has none.
func shardGauge(rm pmetric.ResourceMetrics) string {
	sms := rm.ScopeMetrics()
	for j := 0; j < sms.Len(); j++ {
		ms := sms.At(j).Metrics()
		for k := 0; k < ms.Len(); k++ {
			m := ms.At(k)
			if m.Name() != names.DiscordShardID || m.Type() != pmetric.MetricTypeGauge || m.Gauge().DataPoints().Len() == 0 {
				continue
			}
			dp := m.Gauge().DataPoints().At(0)
			if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
				return strconv.FormatInt(dp.IntValue(), 10)
			}
			return strconv.FormatFloat(dp.DoubleValue(), 'f', -1, 64)
		}
	}
	return ""
}

func seriesKey(name string, attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(1)
		b.WriteString(attrs[k])
	}
	return b.String()
}

// attrMap copies attributes as strings (as the SDK adapter does), adding
// names.AttrScope = scope unless scope is "".
func attrMap(m pcommon.Map, scope string) map[string]string {
	out := make(map[string]string, m.Len()+1)
	m.Range(func(k string, v pcommon.Value) bool {
		out[k] = v.AsString()
		return true
	})
	if scope != "" {
		out[names.AttrScope] = scope
	}
	return out
}

func numberPoints(dps pmetric.NumberDataPointSlice, scope string, add func(report.Point)) {
	for d := 0; d < dps.Len(); d++ {
		dp := dps.At(d)
		v := dp.DoubleValue()
		if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
			v = float64(dp.IntValue())
		}
		add(report.Point{Attrs: attrMap(dp.Attributes(), scope), Start: dp.StartTimestamp().AsTime(), Time: dp.Timestamp().AsTime(), Value: v})
	}
}

func histPoint(dp pmetric.HistogramDataPoint, scope string) report.Point {
	h := &report.Histogram{
		Bounds: dp.ExplicitBounds().AsRaw(),
		Counts: dp.BucketCounts().AsRaw(),
		Count:  dp.Count(), Sum: dp.Sum(), Min: math.NaN(), Max: math.NaN(),
	}
	if dp.HasMin() {
		h.Min = dp.Min()
	}
	if dp.HasMax() {
		h.Max = dp.Max()
	}
	ex := dp.Exemplars()
	for e := 0; e < ex.Len(); e++ {
		x := ex.At(e)
		v := x.DoubleValue()
		if x.ValueType() == pmetric.ExemplarValueTypeInt {
			v = float64(x.IntValue())
		}
		h.Exemplars = append(h.Exemplars, report.Exemplar{TraceID: traceID(x.TraceID()), SpanID: spanID(x.SpanID()), Value: v, Time: x.Timestamp().AsTime()})
	}
	return report.Point{Attrs: attrMap(dp.Attributes(), scope), Start: dp.StartTimestamp().AsTime(), Time: dp.Timestamp().AsTime(), Value: dp.Sum(), Hist: h}
}

func traceID(id pcommon.TraceID) string {
	if id.IsEmpty() {
		return ""
	}
	return id.String()
}

func spanID(id pcommon.SpanID) string {
	if id.IsEmpty() {
		return ""
	}
	return id.String()
}
