package otlpexport

import (
	"fmt"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
)

// resourceMetrics converts one collection. A metric of an unknown
// aggregation or temporality is left out and reported in err; the rest is
// still converted.
func resourceMetrics(rm *metricdata.ResourceMetrics) (out *metricspb.ResourceMetrics, err error) {
	out = &metricspb.ResourceMetrics{Resource: resourceOf(rm.Resource), SchemaUrl: rm.Resource.SchemaURL()}
	for _, sm := range rm.ScopeMetrics {
		psm := &metricspb.ScopeMetrics{Scope: scopeOf(sm.Scope), SchemaUrl: sm.Scope.SchemaURL,
			Metrics: make([]*metricspb.Metric, 0, len(sm.Metrics))}
		for _, m := range sm.Metrics {
			pm, merr := metricOf(m)
			if merr != nil {
				if err == nil {
					err = merr
				}
				continue
			}
			psm.Metrics = append(psm.Metrics, pm)
		}
		out.ScopeMetrics = append(out.ScopeMetrics, psm)
	}
	return out, err
}

func metricOf(m metricdata.Metrics) (*metricspb.Metric, error) {
	out := &metricspb.Metric{Name: m.Name, Description: m.Description, Unit: m.Unit}
	var err error
	switch a := m.Data.(type) {
	case metricdata.Gauge[int64]:
		out.Data = &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: numberPoints(a.DataPoints)}}
	case metricdata.Gauge[float64]:
		out.Data = &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: numberPoints(a.DataPoints)}}
	case metricdata.Sum[int64]:
		out.Data, err = sumOf(a)
	case metricdata.Sum[float64]:
		out.Data, err = sumOf(a)
	case metricdata.Histogram[int64]:
		out.Data, err = histogramOf(a)
	case metricdata.Histogram[float64]:
		out.Data, err = histogramOf(a)
	case metricdata.ExponentialHistogram[int64]:
		out.Data, err = expHistogramOf(a)
	case metricdata.ExponentialHistogram[float64]:
		out.Data, err = expHistogramOf(a)
	case metricdata.Summary:
		out.Data = summaryOf(a)
	default:
		return nil, fmt.Errorf("metric %s: unknown aggregation %T", m.Name, a)
	}
	if err != nil {
		return nil, fmt.Errorf("metric %s: %w", m.Name, err)
	}
	return out, nil
}

func temporalityOf(t metricdata.Temporality) (metricspb.AggregationTemporality, error) {
	switch t {
	case metricdata.DeltaTemporality:
		return metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA, nil
	case metricdata.CumulativeTemporality:
		return metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE, nil
	}
	return 0, fmt.Errorf("unknown temporality %s", t)
}

func sumOf[N int64 | float64](s metricdata.Sum[N]) (*metricspb.Metric_Sum, error) {
	t, err := temporalityOf(s.Temporality)
	if err != nil {
		return nil, err
	}
	return &metricspb.Metric_Sum{Sum: &metricspb.Sum{AggregationTemporality: t, IsMonotonic: s.IsMonotonic,
		DataPoints: numberPoints(s.DataPoints)}}, nil
}

func numberPoints[N int64 | float64](pts []metricdata.DataPoint[N]) []*metricspb.NumberDataPoint {
	out := make([]*metricspb.NumberDataPoint, 0, len(pts))
	for _, p := range pts {
		np := &metricspb.NumberDataPoint{
			Attributes:        attrIter(p.Attributes.Iter()),
			StartTimeUnixNano: unixNano(p.StartTime),
			TimeUnixNano:      unixNano(p.Time),
			Exemplars:         exemplars(p.Exemplars),
		}
		switch v := any(p.Value).(type) {
		case int64:
			np.Value = &metricspb.NumberDataPoint_AsInt{AsInt: v}
		case float64:
			np.Value = &metricspb.NumberDataPoint_AsDouble{AsDouble: v}
		}
		out = append(out, np)
	}
	return out
}

func histogramOf[N int64 | float64](h metricdata.Histogram[N]) (*metricspb.Metric_Histogram, error) {
	t, err := temporalityOf(h.Temporality)
	if err != nil {
		return nil, err
	}
	pts := make([]*metricspb.HistogramDataPoint, 0, len(h.DataPoints))
	for _, p := range h.DataPoints {
		sum := float64(p.Sum)
		hp := &metricspb.HistogramDataPoint{
			Attributes:        attrIter(p.Attributes.Iter()),
			StartTimeUnixNano: unixNano(p.StartTime),
			TimeUnixNano:      unixNano(p.Time),
			Count:             p.Count,
			Sum:               &sum,
			BucketCounts:      p.BucketCounts,
			ExplicitBounds:    p.Bounds,
			Exemplars:         exemplars(p.Exemplars),
		}
		hp.Min, hp.Max = extremum(p.Min), extremum(p.Max)
		pts = append(pts, hp)
	}
	return &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{AggregationTemporality: t, DataPoints: pts}}, nil
}

func expHistogramOf[N int64 | float64](h metricdata.ExponentialHistogram[N]) (*metricspb.Metric_ExponentialHistogram, error) {
	t, err := temporalityOf(h.Temporality)
	if err != nil {
		return nil, err
	}
	pts := make([]*metricspb.ExponentialHistogramDataPoint, 0, len(h.DataPoints))
	for _, p := range h.DataPoints {
		sum := float64(p.Sum)
		ep := &metricspb.ExponentialHistogramDataPoint{
			Attributes:        attrIter(p.Attributes.Iter()),
			StartTimeUnixNano: unixNano(p.StartTime),
			TimeUnixNano:      unixNano(p.Time),
			Count:             p.Count,
			Sum:               &sum,
			Scale:             p.Scale,
			ZeroCount:         p.ZeroCount,
			ZeroThreshold:     p.ZeroThreshold,
			Positive:          &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: p.PositiveBucket.Offset, BucketCounts: p.PositiveBucket.Counts},
			Negative:          &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: p.NegativeBucket.Offset, BucketCounts: p.NegativeBucket.Counts},
			Exemplars:         exemplars(p.Exemplars),
		}
		ep.Min, ep.Max = extremum(p.Min), extremum(p.Max)
		pts = append(pts, ep)
	}
	return &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{
		AggregationTemporality: t, DataPoints: pts}}, nil
}

func extremum[N int64 | float64](e metricdata.Extrema[N]) *float64 {
	v, ok := e.Value()
	if !ok {
		return nil
	}
	f := float64(v)
	return &f
}

func summaryOf(s metricdata.Summary) *metricspb.Metric_Summary {
	pts := make([]*metricspb.SummaryDataPoint, 0, len(s.DataPoints))
	for _, p := range s.DataPoints {
		qs := make([]*metricspb.SummaryDataPoint_ValueAtQuantile, 0, len(p.QuantileValues))
		for _, q := range p.QuantileValues {
			qs = append(qs, &metricspb.SummaryDataPoint_ValueAtQuantile{Quantile: q.Quantile, Value: q.Value})
		}
		pts = append(pts, &metricspb.SummaryDataPoint{
			Attributes:        attrIter(p.Attributes.Iter()),
			StartTimeUnixNano: unixNano(p.StartTime),
			TimeUnixNano:      unixNano(p.Time),
			Count:             p.Count,
			Sum:               p.Sum,
			QuantileValues:    qs,
		})
	}
	return &metricspb.Metric_Summary{Summary: &metricspb.Summary{DataPoints: pts}}
}

func exemplars[N int64 | float64](exs []metricdata.Exemplar[N]) []*metricspb.Exemplar {
	if len(exs) == 0 {
		return nil
	}
	out := make([]*metricspb.Exemplar, 0, len(exs))
	for _, ex := range exs {
		e := &metricspb.Exemplar{
			FilteredAttributes: keyValues(ex.FilteredAttributes),
			TimeUnixNano:       unixNano(ex.Time),
			SpanId:             ex.SpanID,
			TraceId:            ex.TraceID,
		}
		switch v := any(ex.Value).(type) {
		case int64:
			e.Value = &metricspb.Exemplar_AsInt{AsInt: v}
		case float64:
			e.Value = &metricspb.Exemplar_AsDouble{AsDouble: v}
		}
		out = append(out, e)
	}
	return out
}
