package sdkadapter

import (
	"time"

	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// FromMetricData converts one SDK collection into a Snapshot. It copies
// everything it keeps: the SDK reuses rm after Export returns.
func FromMetricData(rm *metricdata.ResourceMetrics) *reportdata.Snapshot {
	return fromMetricData(rm, nil)
}

// fromMetricData is FromMetricData taking the points' attribute maps from
// c (nil: new maps). The points of every metric share one array, and the
// metrics' records another: a slice per metric was half of what a
// conversion allocated.
func fromMetricData(rm *metricdata.ResourceMetrics, c *attrCache) *reportdata.Snapshot {
	var res map[string]string
	if rm.Resource != nil {
		res = make(map[string]string, rm.Resource.Len())
		for iter := rm.Resource.Iter(); iter.Next(); {
			kv := iter.Attribute()
			res[string(kv.Key)] = kv.Value.String()
		}
	}
	metrics, points := count(rm)
	s := reportdata.NewSnapshotSize(timeOf(rm), res, metrics)
	all := make([]reportdata.Point, 0, points) // never grows: the slices below stay in it
	for _, sm := range rm.ScopeMetrics {
		scope := sm.Scope.Name
		for _, m := range sm.Metrics {
			start := len(all)
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					all = append(all, reportdata.Point{Attrs: c.attrs(dp.Attributes, scope), Start: dp.StartTime, Time: dp.Time, Value: float64(dp.Value)})
				}
			case metricdata.Gauge[float64]:
				for _, dp := range d.DataPoints {
					all = append(all, reportdata.Point{Attrs: c.attrs(dp.Attributes, scope), Start: dp.StartTime, Time: dp.Time, Value: dp.Value})
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					all = append(all, reportdata.Point{Attrs: c.attrs(dp.Attributes, scope), Start: dp.StartTime, Time: dp.Time, Value: float64(dp.Value)})
				}
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					all = append(all, reportdata.Point{Attrs: c.attrs(dp.Attributes, scope), Start: dp.StartTime, Time: dp.Time, Value: dp.Value})
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					all = append(all, histPoint(dp, scope, c))
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					all = append(all, histPointInt(dp, scope, c))
				}
			default:
				continue
			}
			if len(all) > start {
				// Capacity cut to length: a later Add of the same name
				// copies instead of writing over the next metric's points.
				s.AddOwned(m.Name, m.Unit, all[start:len(all):len(all)])
			}
		}
	}
	return s
}

// count returns how many metrics of the kinds fromMetricData converts rm
// has, and how many points.
func count(rm *metricdata.ResourceMetrics) (metrics, points int) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			k := 0
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				k = len(d.DataPoints)
			case metricdata.Gauge[float64]:
				k = len(d.DataPoints)
			case metricdata.Sum[int64]:
				k = len(d.DataPoints)
			case metricdata.Sum[float64]:
				k = len(d.DataPoints)
			case metricdata.Histogram[float64]:
				k = len(d.DataPoints)
			case metricdata.Histogram[int64]:
				k = len(d.DataPoints)
			}
			if k > 0 {
				metrics++
				points += k
			}
		}
	}
	return metrics, points
}

func timeOf(rm *metricdata.ResourceMetrics) (t0 time.Time) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				if len(d.DataPoints) > 0 {
					return d.DataPoints[0].Time
				}
			case metricdata.Gauge[float64]:
				if len(d.DataPoints) > 0 {
					return d.DataPoints[0].Time
				}
			case metricdata.Sum[int64]:
				if len(d.DataPoints) > 0 {
					return d.DataPoints[0].Time
				}
			case metricdata.Sum[float64]:
				if len(d.DataPoints) > 0 {
					return d.DataPoints[0].Time
				}
			}
		}
	}
	return t0
}

// attrCache hands out the attribute map of a point's attribute set and
// scope, reusing the map made for the same set and scope in this or the
// previous collection: most points of a collection repeat the last one's
// sets, and a map per point was a fifth of what a report allocated. Maps
// are shared between snapshots; Point.Attrs is read-only. Sets not seen in
// the last collection are forgotten, so the cache holds at most two
// collections' sets. Not safe for concurrent use: a reader exports serially.
type attrCache struct {
	cur, prev map[attrKey]map[string]string
}

type attrKey struct {
	set   attribute.Distinct
	scope string
}

func newAttrCache() *attrCache {
	return &attrCache{cur: map[attrKey]map[string]string{}, prev: map[attrKey]map[string]string{}}
}

// attrs returns the attribute map of set and scope; a nil cache makes a
// new one.
func (c *attrCache) attrs(set attribute.Set, scope string) map[string]string {
	if c == nil {
		return attrs(set, scope)
	}
	k := attrKey{set.Equivalent(), scope}
	if m, ok := c.cur[k]; ok {
		return m
	}
	m, ok := c.prev[k]
	if !ok {
		m = attrs(set, scope)
	}
	c.cur[k] = m
	return m
}

// next starts a collection: the sets of the one just converted become the
// previous ones.
func (c *attrCache) next() {
	c.prev, c.cur = c.cur, c.prev
	clear(c.cur)
}

func attrs(set attribute.Set, scope string) map[string]string {
	out := make(map[string]string, set.Len()+1)
	iter := set.Iter()
	for iter.Next() {
		kv := iter.Attribute()
		out[string(kv.Key)] = kv.Value.String()
	}
	out[names.AttrScope] = scope
	return out
}

func histPoint(dp metricdata.HistogramDataPoint[float64], scope string, c *attrCache) reportdata.Point {
	h := &reportdata.Histogram{
		Bounds: append([]float64(nil), dp.Bounds...),
		Counts: append([]uint64(nil), dp.BucketCounts...),
		Count:  dp.Count, Sum: dp.Sum, Min: math.NaN(), Max: math.NaN(),
	}
	if v, ok := dp.Min.Value(); ok {
		h.Min = v
	}
	if v, ok := dp.Max.Value(); ok {
		h.Max = v
	}
	for _, e := range dp.Exemplars {
		h.Exemplars = append(h.Exemplars, reportdata.Exemplar{TraceID: hexID(e.TraceID), SpanID: hexID(e.SpanID), Value: e.Value, Time: e.Time})
	}
	return reportdata.Point{Attrs: c.attrs(dp.Attributes, scope), Start: dp.StartTime, Time: dp.Time, Value: dp.Sum, Hist: h}
}

func histPointInt(dp metricdata.HistogramDataPoint[int64], scope string, c *attrCache) reportdata.Point {
	h := &reportdata.Histogram{
		Bounds: append([]float64(nil), dp.Bounds...),
		Counts: append([]uint64(nil), dp.BucketCounts...),
		Count:  dp.Count, Sum: float64(dp.Sum), Min: math.NaN(), Max: math.NaN(),
	}
	if v, ok := dp.Min.Value(); ok {
		h.Min = float64(v)
	}
	if v, ok := dp.Max.Value(); ok {
		h.Max = float64(v)
	}
	for _, e := range dp.Exemplars {
		h.Exemplars = append(h.Exemplars, reportdata.Exemplar{TraceID: hexID(e.TraceID), SpanID: hexID(e.SpanID), Value: float64(e.Value), Time: e.Time})
	}
	return reportdata.Point{Attrs: c.attrs(dp.Attributes, scope), Start: dp.StartTime, Time: dp.Time, Value: float64(dp.Sum), Hist: h}
}

func hexID(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}
