// Package slowexemplar is the exemplar reservoir of the agent's histograms:
// one exemplar per series and reader, the slowest measurement since that
// reader's last collection (View). It imports the OTel SDK and nothing of
// nexusmon.
package slowexemplar

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/trace"
)

// View gives every histogram of the agent's MeterProvider one
// exemplar per series and reader: the slowest measurement made in a sampled
// span since that reader's last collection (kept until a newer one comes).
// The SDK's default keeps one per bucket (16 for the command histograms) and
// its fixed-size reservoir carries a random source of its own; every reader
// (the five reports', Prometheus's, OTLP's) holds a reservoir per series, so
// either was most of the memory a busy bot's commands added. The slowest
// command of the interval is also the one whose trace explains the most.
func View(inst sdkmetric.Instrument) (sdkmetric.Stream, bool) {
	if inst.Kind != sdkmetric.InstrumentKindHistogram {
		return sdkmetric.Stream{}, false
	}
	return sdkmetric.Stream{
		Name: inst.Name, Description: inst.Description, Unit: inst.Unit,
		ExemplarReservoirProviderSelector: func(sdkmetric.Aggregation) exemplar.ReservoirProvider {
			return newSlowestReservoir
		},
	}, true
}

func newSlowestReservoir(attribute.Set) exemplar.Reservoir { return &slowestReservoir{} }

// slowestReservoir is an exemplar.Reservoir of one measurement.
type slowestReservoir struct {
	mu        sync.Mutex
	attrs     []attribute.KeyValue
	at        time.Time
	val       exemplar.Value
	sc        trace.SpanContext
	valid     bool // a measurement is held
	collected bool // and was collected: the next offer replaces it
}

func (r *slowestReservoir) Offer(ctx context.Context, t time.Time, v exemplar.Value, attrs []attribute.KeyValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.valid && !r.collected && number(v) < number(r.val) {
		return
	}
	r.attrs, r.at, r.val, r.sc = attrs, t, v, trace.SpanContextFromContext(ctx)
	r.valid, r.collected = true, false
}

func (r *slowestReservoir) Collect(dest *[]exemplar.Exemplar) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*dest = (*dest)[:0]
	if !r.valid {
		return
	}
	r.collected = true
	e := exemplar.Exemplar{FilteredAttributes: r.attrs, Time: r.at, Value: r.val}
	if r.sc.HasTraceID() {
		id := r.sc.TraceID()
		e.TraceID = id[:]
	}
	if r.sc.HasSpanID() {
		id := r.sc.SpanID()
		e.SpanID = id[:]
	}
	*dest = append(*dest, e)
}

func number(v exemplar.Value) float64 {
	if v.Type() == exemplar.Int64ValueType {
		return float64(v.Int64())
	}
	return v.Float64()
}
