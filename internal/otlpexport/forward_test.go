package otlpexport

import (
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// A forwarder whose backend does not keep up drops instead of blocking the
// receiver's handler.
func TestForwarder_fullQueueDrops(t *testing.T) {
	t.Parallel()
	f := &Forwarder{
		traces:  otlptracehttp.NewClient(), // never started: nothing drains the queue
		metrics: &httpMetricUploader{},
		traceQ:  make(chan *coltracepb.ExportTraceServiceRequest, forwardQueue),
		metricQ: make(chan *colmetricpb.ExportMetricsServiceRequest, forwardQueue),
	}
	for i := range forwardQueue {
		if !f.ForwardTraces(&coltracepb.ExportTraceServiceRequest{}) || !f.ForwardMetrics(&colmetricpb.ExportMetricsServiceRequest{}) {
			t.Fatalf("request %d refused below the queue bound", i)
		}
	}
	if f.ForwardTraces(&coltracepb.ExportTraceServiceRequest{}) || f.ForwardMetrics(&colmetricpb.ExportMetricsServiceRequest{}) {
		t.Error("a full queue accepted a request")
	}
}
