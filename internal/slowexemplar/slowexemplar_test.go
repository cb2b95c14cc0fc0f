package slowexemplar

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/trace"
)

func TestSlowestReservoir(t *testing.T) {
	t.Parallel()
	span := func(b byte) context.Context {
		return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{b}, SpanID: trace.SpanID{b}, TraceFlags: trace.FlagsSampled}))
	}
	r := newSlowestReservoir(attribute.Set{})
	var got []exemplar.Exemplar
	r.Collect(&got)
	if len(got) != 0 {
		t.Fatalf("empty reservoir collected %v", got)
	}
	at := time.Unix(1800000000, 0)
	r.Offer(span(1), at, exemplar.NewValue(0.2), nil)
	r.Offer(span(2), at.Add(time.Second), exemplar.NewValue(1.5), nil) // the slowest
	r.Offer(span(3), at.Add(2*time.Second), exemplar.NewValue(0.1), nil)
	r.Collect(&got)
	if len(got) != 1 || got[0].Value.Float64() != 1.5 || !bytes.Equal(got[0].TraceID, []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("collected %+v, want the 1.5 s measurement of trace 02…", got)
	}
	// Kept while nothing new comes; the first offer after a collection
	// replaces it even when faster.
	r.Collect(&got)
	if len(got) != 1 || got[0].Value.Float64() != 1.5 {
		t.Fatalf("second collection %+v, want the same exemplar", got)
	}
	r.Offer(span(4), at.Add(3*time.Second), exemplar.NewValue(0.05), nil)
	r.Collect(&got)
	if len(got) != 1 || got[0].Value.Float64() != 0.05 || got[0].SpanID[0] != 4 {
		t.Fatalf("after a collection %+v, want the new 0.05 s measurement", got)
	}
	ri := newSlowestReservoir(attribute.Set{})
	ri.Offer(context.Background(), at, exemplar.NewValue[int64](7), nil)
	ri.Offer(context.Background(), at, exemplar.NewValue[int64](3), nil)
	ri.Collect(&got)
	if len(got) != 1 || got[0].Value.Int64() != 7 || len(got[0].TraceID) != 0 {
		t.Fatalf("int64 values: %+v, want 7 without a trace", got)
	}
}
