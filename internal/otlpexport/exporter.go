package otlpexport

// nexusmon's own OTLP/HTTP exporters. The SDK's otlpmetrichttp and
// otlptracehttp import gRPC (through their config packages) and so does
// every OTLP collector package; these send the same requests over HTTP
// (internal/otlpwire encodes them) and keep gRPC out of the default binary
// (docs/decisions.md, issue 14).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

// errShutdown is an export after Shutdown.
var errShutdown = errors.New("exporter is shut down")

// httpMetricExporter is an sdkmetric.Exporter over OTLP/HTTP.
type httpMetricExporter struct {
	c           *httpClient
	json        bool
	temporality sdkmetric.TemporalitySelector
	aggregation sdkmetric.AggregationSelector
	shut        atomic.Bool
}

// newHTTPMetricExporter returns the metric exporter of s, its variables
// read through env. Temporality and aggregation are the SDK's defaults
// (cumulative; explicit-bucket histograms) unless
// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE or
// OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION says otherwise,
// as for the SDK's OTLP exporters.
func newHTTPMetricExporter(s Settings, env func(string) (string, bool)) (*httpMetricExporter, error) {
	cfg, err := resolveHTTP("metrics", s, env)
	if err != nil {
		return nil, err
	}
	e := &httpMetricExporter{c: newHTTPClient("metrics", cfg), json: s.Protocol == config.ProtocolHTTPJSON,
		temporality: sdkmetric.DefaultTemporalitySelector, aggregation: sdkmetric.DefaultAggregationSelector}
	if e.temporality, err = temporalityPreference(env); err != nil {
		return nil, err
	}
	if e.aggregation, err = histogramAggregation(env); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *httpMetricExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return e.temporality(k)
}

func (e *httpMetricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return e.aggregation(k)
}

// Export sends rm; it keeps nothing of it (the SDK reuses it).
func (e *httpMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if e.shut.Load() {
		return errShutdown
	}
	prm, convErr := resourceMetrics(rm)
	body, err := otlpwire.EncodeMetrics([]*metricspb.ResourceMetrics{prm}, e.json)
	if err != nil {
		return fmt.Errorf("export metrics: %w", err)
	}
	return errors.Join(e.c.send(ctx, body, e.json), convErr)
}

func (e *httpMetricExporter) ForceFlush(context.Context) error { return nil }

func (e *httpMetricExporter) Shutdown(context.Context) error {
	e.shut.Store(true)
	e.c.close()
	return nil
}

// httpSpanExporter is an sdktrace.SpanExporter over OTLP/HTTP.
type httpSpanExporter struct {
	c    *httpClient
	json bool
	shut atomic.Bool
}

func newHTTPSpanExporter(s Settings, env func(string) (string, bool)) (*httpSpanExporter, error) {
	cfg, err := resolveHTTP("traces", s, env)
	if err != nil {
		return nil, err
	}
	return &httpSpanExporter{c: newHTTPClient("traces", cfg), json: s.Protocol == config.ProtocolHTTPJSON}, nil
}

func (e *httpSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.shut.Load() {
		return errShutdown
	}
	if len(spans) == 0 {
		return nil
	}
	body, err := otlpwire.EncodeTraces(resourceSpans(spans), e.json)
	if err != nil {
		return fmt.Errorf("export traces: %w", err)
	}
	return e.c.send(ctx, body, e.json)
}

func (e *httpSpanExporter) Shutdown(context.Context) error {
	e.shut.Store(true)
	e.c.close()
	return nil
}

// temporalityPreference reads OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE:
// cumulative (the default), delta or lowmemory, as the OTLP exporter
// specification defines them.
func temporalityPreference(env func(string) (string, bool)) (sdkmetric.TemporalitySelector, error) {
	const k = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"
	v, _ := env(k)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "cumulative":
		return sdkmetric.DefaultTemporalitySelector, nil
	case "delta":
		return func(k sdkmetric.InstrumentKind) metricdata.Temporality {
			switch k {
			case sdkmetric.InstrumentKindUpDownCounter, sdkmetric.InstrumentKindObservableUpDownCounter:
				return metricdata.CumulativeTemporality
			}
			return metricdata.DeltaTemporality
		}, nil
	case "lowmemory":
		return func(k sdkmetric.InstrumentKind) metricdata.Temporality {
			switch k {
			case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindHistogram:
				return metricdata.DeltaTemporality
			}
			return metricdata.CumulativeTemporality
		}, nil
	}
	return nil, fmt.Errorf("%s: want cumulative, delta or lowmemory, got %q", k, v)
}

// histogramAggregation reads
// OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION:
// explicit_bucket_histogram (the default) or
// base2_exponential_bucket_histogram.
func histogramAggregation(env func(string) (string, bool)) (sdkmetric.AggregationSelector, error) {
	const k = "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION"
	v, _ := env(k)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "explicit_bucket_histogram":
		return sdkmetric.DefaultAggregationSelector, nil
	case "base2_exponential_bucket_histogram":
		return func(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
			if k == sdkmetric.InstrumentKindHistogram {
				return sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}
			}
			return sdkmetric.DefaultAggregationSelector(k)
		}, nil
	}
	return nil, fmt.Errorf("%s: want explicit_bucket_histogram or base2_exponential_bucket_histogram, got %q", k, v)
}
