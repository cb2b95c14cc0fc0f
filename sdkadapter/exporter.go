package sdkadapter

import (
	"context"
	"errors"
	"sync/atomic"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// NewExporter returns the sdkmetric.Exporter of the reader of event: each
// collection goes to r.Collect with the one before it.
func NewExporter(r *report.Reporter, event reportdata.Kind) sdkmetric.Exporter {
	return &readerExporter{r: r, event: event, attrs: newAttrCache()}
}

// readerExporter is one PeriodicReader's exporter. Export is called serially
// by its reader, so prev and attrs need no lock.
type readerExporter struct {
	r     *report.Reporter
	event reportdata.Kind
	prev  *reportdata.Snapshot
	attrs *attrCache
	shut  atomic.Bool
}

func (e *readerExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (e *readerExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *readerExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if e.shut.Load() {
		return errors.New("exporter is shut down")
	}
	if e.r.ShuttingDown() {
		return nil // the final collection at shutdown: no duplicate report
	}
	e.attrs.next()
	snap := fromMetricData(rm, e.attrs)
	// Publish failures are logged and counted by the Reporter; returning
	// them would only make the SDK print each one again.
	_ = e.r.Collect(ctx, e.event, snap, e.prev)
	e.prev = snap
	return nil
}

func (e *readerExporter) ForceFlush(context.Context) error { return nil }

func (e *readerExporter) Shutdown(context.Context) error {
	e.shut.Store(true)
	return nil
}
