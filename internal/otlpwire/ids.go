package otlpwire

import (
	"encoding/base64"
	"encoding/hex"
	"errors"

	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// errBadID is a trace or span id of the wrong length or not in hex.
var errBadID = errors.New("trace and span ids must be 32 and 16 hex digits")

// fromHex turns an id that protojson decoded as base64 back into the bytes
// its hex digits spell. Hex digits are base64 characters, so protojson
// decodes a 32-digit trace id into 24 bytes (a 16-digit span id into 12)
// without complaint; re-encoding gives the digits back exactly. size is
// the id's length in bytes (16 or 8); an empty id stays empty.
func fromHex(id []byte, size int) ([]byte, error) {
	if len(id) == 0 {
		return id, nil
	}
	if len(id) != size*3/2 {
		return nil, errBadID
	}
	digits := base64.StdEncoding.EncodeToString(id)
	out := make([]byte, size)
	if _, err := hex.Decode(out, []byte(digits)); err != nil {
		return nil, errBadID
	}
	return out, nil
}

// toJSONID is fromHex reversed: the bytes that protojson's base64 spells
// as the hex digits of id. An id whose hex is no base64 (not 8 or 16 bytes)
// is left as it is.
func toJSONID(id []byte) []byte {
	if len(id) == 0 {
		return id
	}
	b, err := base64.StdEncoding.DecodeString(hex.EncodeToString(id))
	if err != nil {
		return id
	}
	return b
}

func hexTraceIDs(rss []*tracepb.ResourceSpans) error {
	var err error
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				if sp == nil {
					continue
				}
				if sp.TraceId, err = fromHex(sp.TraceId, 16); err != nil {
					return err
				}
				if sp.SpanId, err = fromHex(sp.SpanId, 8); err != nil {
					return err
				}
				if sp.ParentSpanId, err = fromHex(sp.ParentSpanId, 8); err != nil {
					return err
				}
				for _, l := range sp.GetLinks() {
					if l == nil {
						continue
					}
					if l.TraceId, err = fromHex(l.TraceId, 16); err != nil {
						return err
					}
					if l.SpanId, err = fromHex(l.SpanId, 8); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func hexMetricIDs(rms []*metricspb.ResourceMetrics) error {
	for _, rm := range rms {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				for _, ex := range Exemplars(m) {
					if ex == nil {
						continue
					}
					var err error
					if ex.TraceId, err = fromHex(ex.TraceId, 16); err != nil {
						return err
					}
					if ex.SpanId, err = fromHex(ex.SpanId, 8); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// swapTraceIDs replaces every id of rss by f(id) and returns the function
// that puts the originals back.
func swapTraceIDs(rss []*tracepb.ResourceSpans, f func([]byte) []byte) (restore func()) {
	var undo []func()
	swap := func(p *[]byte) {
		old := *p
		*p = f(old)
		undo = append(undo, func() { *p = old })
	}
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				if sp == nil {
					continue
				}
				swap(&sp.TraceId)
				swap(&sp.SpanId)
				swap(&sp.ParentSpanId)
				for _, l := range sp.GetLinks() {
					if l != nil {
						swap(&l.TraceId)
						swap(&l.SpanId)
					}
				}
			}
		}
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}

// swapMetricIDs is swapTraceIDs for the exemplars of rms.
func swapMetricIDs(rms []*metricspb.ResourceMetrics, f func([]byte) []byte) (restore func()) {
	var undo []func()
	for _, rm := range rms {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				for _, ex := range Exemplars(m) {
					if ex == nil {
						continue
					}
					tid, sid := ex.TraceId, ex.SpanId
					ex.TraceId, ex.SpanId = f(tid), f(sid)
					undo = append(undo, func() { ex.TraceId, ex.SpanId = tid, sid })
				}
			}
		}
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}

// Exemplars returns the exemplars of every point of m.
func Exemplars(m *metricspb.Metric) []*metricspb.Exemplar {
	var out []*metricspb.Exemplar
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		for _, p := range d.Gauge.GetDataPoints() {
			out = append(out, p.GetExemplars()...)
		}
	case *metricspb.Metric_Sum:
		for _, p := range d.Sum.GetDataPoints() {
			out = append(out, p.GetExemplars()...)
		}
	case *metricspb.Metric_Histogram:
		for _, p := range d.Histogram.GetDataPoints() {
			out = append(out, p.GetExemplars()...)
		}
	case *metricspb.Metric_ExponentialHistogram:
		for _, p := range d.ExponentialHistogram.GetDataPoints() {
			out = append(out, p.GetExemplars()...)
		}
	}
	return out
}
