package otelcoltest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/nexusmon/nexusmon/internal/names"
)

// waitTimeout bounds every wait for data; data normally lands in well under
// a second.
const waitTimeout = 30 * time.Second

// pipeline is an SDK set-up exporting to a test collector: metrics over
// OTLP/gRPC, traces over OTLP/HTTP, both with a resource of its own.
type pipeline struct {
	mp *sdkmetric.MeterProvider
	tp *sdktrace.TracerProvider
}

func newPipeline(t *testing.T, c *Collector, res *resource.Resource) *pipeline {
	t.Helper()
	ctx := context.Background()
	mexp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithInsecure(), otlpmetricgrpc.WithEndpoint(c.GRPCEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	texp, err := otlptracehttp.New(ctx, otlptracehttp.WithInsecure(), otlptracehttp.WithEndpoint(c.HTTPEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{
		// A reader interval far longer than any test: exports happen on
		// ForceFlush and Shutdown only.
		mp: sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(time.Hour)))),
		tp: sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(texp)),
	}
	t.Cleanup(func() { p.shutdown(t) })
	return p
}

func (p *pipeline) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := p.tp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush traces: %v", err)
	}
	if err := p.mp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush metrics: %v", err)
	}
}

func (p *pipeline) shutdown(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// Shutdown is idempotent in the SDK; a second call reports an error we
	// do not care about, so only the first is checked by callers that need
	// it.
	_ = p.tp.Shutdown(ctx)
	_ = p.mp.Shutdown(ctx)
}

func TestCollector_EndToEnd(t *testing.T) {
	t.Parallel()
	c := Start(t)
	res := resource.NewSchemaless(
		attribute.String("service.name", "otelcoltest-e2e"),
		attribute.String("deployment.environment.name", "test"),
		attribute.Int("nexusmon.shard", 3),
	)
	p := newPipeline(t, c, res)

	meter := p.mp.Meter(names.ScopeBot)
	hist, err := meter.Float64Histogram(names.CommandDuration, metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	if err != nil {
		t.Fatal(err)
	}
	calls, err := meter.Int64Counter(names.CommandInvocations)
	if err != nil {
		t.Fatal(err)
	}

	ctx, span := p.tp.Tracer(names.ScopeBot).Start(context.Background(), "command ping",
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String(names.AttrCommandName, "ping")))
	cmdErr := errors.New("upstream timed out")
	span.RecordError(cmdErr)
	span.SetStatus(codes.Error, cmdErr.Error())
	attrs := metric.WithAttributes(attribute.String(names.AttrCommandName, "ping"), attribute.String(names.AttrErrorType, "timeout"))
	hist.Record(ctx, 0.042, attrs)
	calls.Add(ctx, 3, metric.WithAttributes(attribute.String(names.AttrOutcome, "failure")))
	span.End()
	sc := span.SpanContext()

	shutCtx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := p.tp.Shutdown(shutCtx); err != nil {
		t.Fatalf("shut down tracer provider: %v", err)
	}
	if err := p.mp.Shutdown(shutCtx); err != nil {
		t.Fatalf("shut down meter provider: %v", err)
	}

	s := c.WaitForSpan(t, "command ping", waitTimeout)
	wantSpan := Span{
		Name: "command ping", TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String(),
		Kind: trace.SpanKindServer.String(), Scope: names.ScopeBot,
		StatusCode: codes.Error.String(), StatusMessage: cmdErr.Error(),
		Attrs: map[string]string{names.AttrCommandName: "ping"},
	}
	if s.Name != wantSpan.Name || s.TraceID != wantSpan.TraceID || s.SpanID != wantSpan.SpanID || s.Kind != wantSpan.Kind ||
		s.Scope != wantSpan.Scope || s.StatusCode != wantSpan.StatusCode || s.StatusMessage != wantSpan.StatusMessage ||
		s.ParentSpanID != "" || fmt.Sprint(s.Attrs) != fmt.Sprint(wantSpan.Attrs) {
		t.Errorf("span = %+v\nwant %+v", s, wantSpan)
	}
	if len(s.Events) != 1 || s.Events[0].Name != "exception" || s.Events[0].Attrs["exception.message"] != cmdErr.Error() {
		t.Errorf("span events = %+v, want one exception event with message %q", s.Events, cmdErr.Error())
	}
	checkResource(t, "span", s.Resource)

	m := c.WaitForMetric(t, names.CommandDuration, waitTimeout)
	if m.Kind != "histogram" || m.Unit != "s" || m.Scope != names.ScopeBot || m.Temporality != "cumulative" {
		t.Errorf("histogram kind, unit, scope, temporality = %q, %q, %q, %q; want histogram, s, %s, cumulative",
			m.Kind, m.Unit, m.Scope, m.Temporality, names.ScopeBot)
	}
	checkResource(t, "histogram", m.Resource)
	if len(m.Points) != 1 {
		t.Fatalf("histogram points = %+v, want 1", m.Points)
	}
	pt := m.Points[0]
	if pt.Count != 1 || pt.Value != 0.042 || pt.Attrs[names.AttrCommandName] != "ping" || pt.Attrs[names.AttrErrorType] != "timeout" {
		t.Errorf("histogram point = %+v, want count 1, sum 0.042, command ping, error.type timeout", pt)
	}
	if len(pt.Exemplars) != 1 {
		t.Fatalf("exemplars = %+v, want 1", pt.Exemplars)
	}
	ex := pt.Exemplars[0]
	if ex.TraceID != s.TraceID || ex.SpanID != s.SpanID || ex.Value != 0.042 {
		t.Errorf("exemplar = %+v, want trace %s span %s value 0.042", ex, s.TraceID, s.SpanID)
	}

	cm := c.WaitForMetric(t, names.CommandInvocations, waitTimeout)
	if cm.Kind != "sum" || !cm.Monotonic || len(cm.Points) != 1 || cm.Points[0].Value != 3 ||
		cm.Points[0].Attrs[names.AttrOutcome] != "failure" {
		t.Errorf("counter = %+v, want one monotonic sum point of 3 with outcome failure", cm)
	}
}

func checkResource(t *testing.T, what string, got map[string]string) {
	t.Helper()
	for k, v := range map[string]string{
		"service.name":                "otelcoltest-e2e",
		"deployment.environment.name": "test",
		"nexusmon.shard":              "3",
	} {
		if got[k] != v {
			t.Errorf("%s resource %s = %q, want %q (resource %v)", what, k, got[k], v, got)
		}
	}
}

func TestCollector_StopRestart(t *testing.T) {
	t.Parallel()
	c := Start(t)
	grpcEP, httpEP := c.GRPCEndpoint, c.HTTPEndpoint
	p := newPipeline(t, c, resource.NewSchemaless(attribute.String("service.name", "otelcoltest-restart")))
	calls, err := p.mp.Meter(names.ScopeBot).Int64Counter(names.CommandInvocations)
	if err != nil {
		t.Fatal(err)
	}
	tracer := p.tp.Tracer(names.ScopeBot)

	calls.Add(context.Background(), 1)
	_, span := tracer.Start(context.Background(), "command before")
	span.End()
	p.flush(t)
	c.WaitForMetric(t, names.CommandInvocations, waitTimeout)
	c.WaitForSpan(t, "command before", waitTimeout)

	c.Stop(t)
	c.Stop(t) // stopping a stopped collector is a no-op
	if conn, err := net.DialTimeout("tcp", grpcEP, time.Second); err == nil {
		_ = conn.Close() // probe only
		t.Fatalf("%s still accepts connections after Stop", grpcEP)
	}
	// Recorded while the collector is down; the SDK keeps it (cumulative).
	calls.Add(context.Background(), 2)

	c.Restart(t)
	if c.GRPCEndpoint != grpcEP || c.HTTPEndpoint != httpEP {
		t.Fatalf("endpoints after Restart = %s, %s; want %s, %s", c.GRPCEndpoint, c.HTTPEndpoint, grpcEP, httpEP)
	}
	_, span = tracer.Start(context.Background(), "command after")
	span.End()
	p.flush(t)

	s := c.WaitForSpan(t, "command after", waitTimeout)
	if s.Resource["service.name"] != "otelcoltest-restart" {
		t.Errorf("span after restart: resource %v", s.Resource)
	}
	var values []float64
	deadline := time.Now().Add(waitTimeout)
	for {
		values = values[:0]
		for _, m := range c.Metrics(t) {
			if m.Name == names.CommandInvocations && len(m.Points) == 1 {
				values = append(values, m.Points[0].Value)
			}
		}
		if len(values) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(pollInterval)
	}
	// Both runs are read, oldest first: 1 before the stop, 1+2 after.
	if fmt.Sprint(values) != "[1 3]" {
		t.Errorf("counter values across the restart = %v, want [1 3]", values)
	}
	spans := c.Spans(t)
	if len(spans) != 2 || spans[0].Name != "command before" || spans[1].Name != "command after" {
		t.Errorf("spans across the restart = %+v, want [command before, command after]", spans)
	}
	for i, f := range []string{"run-1/metrics.jsonl", "run-2/metrics.jsonl", "run-2/traces.jsonl", "run-2/collector.log"} {
		if _, err := os.Stat(filepath.Join(c.OutDir, filepath.FromSlash(f))); err != nil {
			t.Errorf("file %d: %v", i, err)
		}
	}
}

func TestCollector_RestartWhileRunning(t *testing.T) {
	t.Parallel()
	c := Start(t)
	ep := c.HTTPEndpoint
	c.Restart(t)
	if c.HTTPEndpoint != ep {
		t.Errorf("HTTP endpoint after Restart = %s, want %s", c.HTTPEndpoint, ep)
	}
	for _, e := range []string{c.GRPCEndpoint, c.HTTPEndpoint} {
		conn, err := net.DialTimeout("tcp", e, time.Second)
		if err != nil {
			t.Fatalf("after Restart: %v", err)
		}
		_ = conn.Close() // probe only
	}
}

// fakeTB records failures instead of failing the real test. Fatal ends the
// calling goroutine, as testing.T does, so run code under test through run.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Logf(string, ...any) {}

// run calls fn(f) in a goroutine and reports whether it failed, and how.
func (f *fakeTB) run(fn func(testing.TB)) (bool, string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed, strings.Join(f.msgs, "\n")
}

func TestCollector_WaitTimeout(t *testing.T) {
	t.Parallel()
	c := Start(t)
	for name, wait := range map[string]func(testing.TB){
		"metric": func(tb testing.TB) { c.WaitForMetric(tb, "no.such.metric", 200*time.Millisecond) },
		"span":   func(tb testing.TB) { c.WaitForSpan(tb, "no such span", 200*time.Millisecond) },
	} {
		t.Run(name, func(t *testing.T) {
			failed, msg := (&fakeTB{TB: t}).run(wait)
			if !failed || !strings.Contains(msg, "received: nothing") {
				t.Errorf("Wait on an empty collector: failed %v, message %q; want a failure naming what arrived", failed, msg)
			}
		})
	}
}

func TestCollector_RestartPortTaken(t *testing.T) {
	t.Parallel()
	c := Start(t)
	c.Stop(t)
	l, err := net.Listen("tcp", c.HTTPEndpoint)
	if err != nil {
		t.Fatalf("take the collector's port: %v", err)
	}
	defer l.Close()
	failed, msg := (&fakeTB{TB: t}).run(c.Restart)
	if !failed || !strings.Contains(msg, "address already in use") || !strings.Contains(msg, "collector log") {
		t.Errorf("Restart on a taken port: failed %v, message %q; want a failure with the collector log", failed, msg)
	}
}

func TestBinary_EnvOverride(t *testing.T) {
	// Not parallel: t.Setenv.
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "missing-otelcol"))
	failed, msg := (&fakeTB{TB: t}).run(func(tb testing.TB) { Binary(tb) })
	if !failed || !strings.Contains(msg, EnvBinary) {
		t.Errorf("Binary with a missing %s: failed %v, message %q", EnvBinary, failed, msg)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, self)
	if got := Binary(t); got != self {
		t.Errorf("Binary = %q, want %s's value %q", got, EnvBinary, self)
	}
}
