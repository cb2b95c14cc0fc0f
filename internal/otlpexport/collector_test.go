package otlpexport

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/otelcoltest"
)

// TestExporters_collector: nexusmon's OTLP/HTTP exporters against the real
// test Collector, in both encodings: every kind of metric arrives with its
// values, resource and exemplar, and a span with its event and status.
func TestExporters_collector(t *testing.T) {
	t.Parallel()
	for _, protocol := range []string{config.ProtocolHTTPProtobuf, config.ProtocolHTTPJSON} {
		t.Run(protocol, func(t *testing.T) {
			t.Parallel()
			c := otelcoltest.Start(t)
			cfg := config.Default().OTLP
			cfg.Endpoint, cfg.Protocol = "http://"+c.HTTPEndpoint, protocol
			res := resource.NewSchemaless(attribute.String("service.name", "exporttest"), attribute.Int("answer", 42))
			traceID := exportMetrics(t, cfg, res)
			checkMetrics(t, c, traceID)
			exportSpan(t, cfg, res, c)
		})
	}
}

// exportMetrics records one of each kind of metric and exports one
// collection; it returns the trace id of the histogram's exemplar.
func exportMetrics(t *testing.T, cfg config.OTLP, res *resource.Resource) trace.TraceID {
	t.Helper()
	ctx := t.Context()
	s, err := For("metrics", cfg, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := NewMetricExporter(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = exp.Shutdown(context.Background()) }()
	reader := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(exp.Temporality),
		sdkmetric.WithAggregationSelector(exp.Aggregation))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res),
		sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Name: "t.exphist"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})))
	m := mp.Meter("exporttest", metric.WithInstrumentationAttributes(attribute.String("scope.attr", "x")))

	g, _ := m.Int64Gauge("t.gauge")
	g.Record(ctx, 7, metric.WithAttributes(attribute.String("k", "v")))
	fc, _ := m.Float64Counter("t.counter")
	fc.Add(ctx, 2.5)
	ud, _ := m.Int64UpDownCounter("t.updown")
	ud.Add(ctx, -3)
	tid := trace.TraceID{0xa1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sampled := trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: trace.SpanID{0xb1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled}))
	h, _ := m.Float64Histogram("t.hist")
	h.Record(sampled, 4)
	eh, _ := m.Int64Histogram("t.exphist")
	for _, v := range []int64{1, 2, 3} {
		eh.Record(ctx, v)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	if err := exp.Export(ctx, &rm); err != nil {
		t.Fatalf("export: %v", err)
	}
	return tid
}

func checkMetrics(t *testing.T, c *otelcoltest.Collector, tid trace.TraceID) {
	t.Helper()
	wait := func(name, kind string) otelcoltest.Metric {
		t.Helper()
		m := c.WaitForMetric(t, name, 30*time.Second)
		if m.Kind != kind || len(m.Points) != 1 || m.Scope != "exporttest" || m.Resource["service.name"] != "exporttest" || m.Resource["answer"] != "42" {
			t.Fatalf("%s = %+v, want one %s point in scope exporttest with the resource", name, m, kind)
		}
		return m
	}
	if m := wait("t.gauge", "gauge"); m.Points[0].Value != 7 || m.Points[0].Attrs["k"] != "v" {
		t.Errorf("gauge point %+v, want 7 with k=v", m.Points[0])
	}
	if m := wait("t.counter", "sum"); m.Points[0].Value != 2.5 || !m.Monotonic || m.Temporality != "cumulative" {
		t.Errorf("counter %+v, want a cumulative monotonic sum of 2.5", m)
	}
	if m := wait("t.updown", "sum"); m.Points[0].Value != -3 || m.Monotonic {
		t.Errorf("updown counter %+v, want a non-monotonic sum of -3", m)
	}
	m := wait("t.hist", "histogram")
	if p := m.Points[0]; p.Count != 1 || p.Value != 4 || len(p.Exemplars) != 1 ||
		p.Exemplars[0].TraceID != hex.EncodeToString(tid[:]) || p.Exemplars[0].SpanID != "b102030405060708" || p.Exemplars[0].Value != 4 {
		t.Errorf("histogram point %+v, want count 1, sum 4 and the exemplar of trace %x", p, tid)
	}
	if m := wait("t.exphist", "exponential_histogram"); m.Points[0].Count != 3 || m.Points[0].Value != 6 {
		t.Errorf("exponential histogram point %+v, want count 3, sum 6", m.Points[0])
	}
}

func exportSpan(t *testing.T, cfg config.OTLP, res *resource.Resource, c *otelcoltest.Collector) {
	t.Helper()
	ctx := t.Context()
	s, err := For("traces", cfg, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := NewSpanExporter(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	_, span := tp.Tracer("exporttest").Start(ctx, "command ping", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("discord.command.name", "ping")))
	span.AddEvent("exception", trace.WithAttributes(attribute.String("exception.type", "TypeError")))
	span.SetStatus(codes.Error, "boom")
	span.End()
	sc := span.SpanContext()

	got := c.WaitForSpan(t, "command ping", 30*time.Second)
	if got.TraceID != sc.TraceID().String() || got.SpanID != sc.SpanID().String() || got.Kind != "server" ||
		got.StatusCode != "Error" || got.StatusMessage != "boom" || got.Attrs["discord.command.name"] != "ping" ||
		got.Resource["service.name"] != "exporttest" || got.Scope != "exporttest" {
		t.Errorf("span = %+v, want the exported one", got)
	}
	if len(got.Events) != 1 || got.Events[0].Name != "exception" || got.Events[0].Attrs["exception.type"] != "TypeError" {
		t.Errorf("events = %+v, want the exception", got.Events)
	}
}
