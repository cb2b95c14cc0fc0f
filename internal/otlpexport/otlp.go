package otlpexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/names"
)

// Settings is what decides OTLP and console export for one signal. The
// standard OTEL_* variables win over the config's otlp keys; the exporters
// read the endpoint, header, timeout, compression and certificate variables
// themselves (through the environment For was given), so config values are
// kept only when the matching variable is unset.
type Settings struct {
	Enabled  bool   // OTLP export
	Console  bool   // the SDK's stdout exporter, writing to the agent's stderr
	Protocol string // http/protobuf, http/json or grpc, when Enabled
	opts     struct {
		endpoint string // from config, when no variable sets one
		headers  map[string]string
		timeout  time.Duration
		insecure bool
	}
	env func(string) (string, bool) // nil: os.LookupEnv
}

// environ is the environment the exporters read their variables from.
func (s Settings) environ() func(string) (string, bool) {
	if s.env != nil {
		return s.env
	}
	return os.LookupEnv
}

// For decides export for signal ("metrics" or "traces"):
//   - OTEL_SDK_DISABLED=true: neither OTLP nor console export;
//   - OTEL_{METRICS,TRACES}_EXPORTER set: OTLP when it lists otlp (to the
//     exporter's default endpoint when none is configured), console when it
//     lists console; prometheus names the /metrics endpoint, which
//     http.listen governs, and changes nothing here;
//   - unset: OTLP when an endpoint is set by a variable or otlp.endpoint.
//
// A value the agent cannot honour (grpc in a binary built without it among
// them) is an error naming the variable; config.Parse reports the same
// problems.
func For(signal string, cfg config.OTLP, env func(string) (string, bool)) (Settings, error) {
	s := Settings{env: env}
	oe, ps := config.ReadOTelEnv(env)
	if len(ps) > 0 {
		errs := make([]error, len(ps))
		for i, p := range ps {
			errs[i] = p
		}
		return s, fmt.Errorf("opentelemetry environment: %w", errors.Join(errs...))
	}
	if oe.Disabled {
		return s, nil
	}
	exporters, protocol := oe.Metrics, oe.MetricsProtocol
	if signal == "traces" {
		exporters, protocol = oe.Traces, oe.TracesProtocol
	}
	get := func(k string) string {
		v, _ := env(k)
		return strings.TrimSpace(v)
	}
	sig := strings.ToUpper(signal) // METRICS or TRACES
	envEndpoint := get("OTEL_EXPORTER_OTLP_"+sig+"_ENDPOINT") != "" || get("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	s.Console = exporters.Console
	switch {
	case exporters.Set && !exporters.OTLP:
		return s, nil
	case !exporters.Set && !envEndpoint && cfg.Endpoint == "":
		return s, nil // off when nothing is set
	}
	s.Enabled = true
	s.Protocol = firstNonEmpty(protocol, cfg.Protocol, config.ProtocolHTTPProtobuf)
	if !envEndpoint {
		s.opts.endpoint = cfg.Endpoint
		s.opts.insecure = cfg.Insecure
	}
	if get("OTEL_EXPORTER_OTLP_HEADERS") == "" && get("OTEL_EXPORTER_OTLP_"+sig+"_HEADERS") == "" && len(cfg.Headers) > 0 {
		s.opts.headers = cfg.Headers
	}
	if get("OTEL_EXPORTER_OTLP_TIMEOUT") == "" && get("OTEL_EXPORTER_OTLP_"+sig+"_TIMEOUT") == "" {
		s.opts.timeout = cfg.Timeout
	}
	return s, nil
}

// ReaderOptions are the OTLP and console metric readers' options:
// otlp.interval, unless OTEL_METRIC_EXPORT_INTERVAL is set (the SDK reads
// the variable itself).
func ReaderOptions(cfg config.OTLP, env func(string) (string, bool)) []sdkmetric.PeriodicReaderOption {
	if v, ok := env("OTEL_METRIC_EXPORT_INTERVAL"); ok && v != "" {
		return nil
	}
	return []sdkmetric.PeriodicReaderOption{sdkmetric.WithInterval(cfg.Interval)}
}

// NewConsoleMetricReader exports the metrics as JSON, one document per
// collection, to w.
func NewConsoleMetricReader(w io.Writer, ro []sdkmetric.PeriodicReaderOption) (sdkmetric.Reader, error) {
	exp, err := stdoutmetric.New(stdoutmetric.WithWriter(w))
	if err != nil {
		return nil, fmt.Errorf("console metric exporter: %w", err)
	}
	return sdkmetric.NewPeriodicReader(exp, ro...), nil
}

// NewConsoleSpanExporter exports the spans as JSON, one document per span,
// to w.
func NewConsoleSpanExporter(w io.Writer) (sdktrace.SpanExporter, error) {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(w))
	if err != nil {
		return nil, fmt.Errorf("console span exporter: %w", err)
	}
	return exp, nil
}

// EndpointName is the OTLP endpoint of signal as the exporter will use it
// (a variable wins over otlp.endpoint), without user information, query
// or fragment; headers are never shown. "(exporter default)" when only the
// protocol or OTEL_*_EXPORTER is set.
func EndpointName(signal string, cfg config.OTLP, env func(string) (string, bool)) string {
	get := func(k string) string {
		v, _ := env(k)
		return strings.TrimSpace(v)
	}
	sig := strings.ToUpper(signal)
	e := firstNonEmpty(get("OTEL_EXPORTER_OTLP_"+sig+"_ENDPOINT"), get("OTEL_EXPORTER_OTLP_ENDPOINT"), cfg.Endpoint)
	if e == "" {
		return "(exporter default)"
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" {
		return "(unparsable endpoint)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// NewMetricExporter returns the OTLP metric exporter for s (s.Enabled):
// nexusmon's own over OTLP/HTTP (http/protobuf, http/json), the SDK's
// otlpmetricgrpc for grpc in a binary built with -tags nexusmon_grpc.
func NewMetricExporter(ctx context.Context, s Settings) (sdkmetric.Exporter, error) {
	switch s.Protocol {
	case config.ProtocolHTTPProtobuf, config.ProtocolHTTPJSON:
		return newHTTPMetricExporter(s, s.environ())
	case config.ProtocolGRPC:
		return newGRPCMetricExporter(ctx, s)
	}
	return nil, fmt.Errorf("otlp protocol %q: want http/protobuf, http/json or grpc", s.Protocol)
}

// NewSpanExporter returns the OTLP span exporter for s (s.Enabled), as
// NewMetricExporter does.
func NewSpanExporter(ctx context.Context, s Settings) (sdktrace.SpanExporter, error) {
	switch s.Protocol {
	case config.ProtocolHTTPProtobuf, config.ProtocolHTTPJSON:
		return newHTTPSpanExporter(s, s.environ())
	case config.ProtocolGRPC:
		return newGRPCSpanExporter(ctx, s)
	}
	return nil, fmt.Errorf("otlp protocol %q: want http/protobuf, http/json or grpc", s.Protocol)
}

// Counter counts one backend's OTLP export failures (nexusmon.export.errors,
// see RegisterSelfMetrics) and logs the first failure and the recovery, not
// every failed attempt.
type Counter struct {
	backend string
	log     *slog.Logger
	errors  atomic.Int64
	failing atomic.Bool
}

// NewCounter returns the counter of backend (the export.backend attribute),
// logging to log.
func NewCounter(backend string, log *slog.Logger) *Counter {
	return &Counter{backend: backend, log: log}
}

// MetricExporter wraps exp to count its failures.
func (c *Counter) MetricExporter(exp sdkmetric.Exporter) sdkmetric.Exporter {
	return &countedMetricExporter{Exporter: exp, c: c}
}

// SpanExporter wraps exp to count its failures.
func (c *Counter) SpanExporter(exp sdktrace.SpanExporter) sdktrace.SpanExporter {
	return &countedSpanExporter{SpanExporter: exp, c: c}
}

func (c *Counter) result(err error) error {
	if err != nil {
		c.errors.Add(1)
		if !c.failing.Swap(true) {
			c.log.Warn("otlp export failing; collection and Discord reporting go on", "backend", c.backend, "err", err)
		}
		return err
	}
	if c.failing.Swap(false) {
		c.log.Info("otlp export recovered", "backend", c.backend)
	}
	return nil
}

// countedMetricExporter wraps the OTLP metric exporter to count failures.
type countedMetricExporter struct {
	sdkmetric.Exporter
	c *Counter
}

func (e *countedMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return e.c.result(e.Exporter.Export(ctx, rm))
}

// countedSpanExporter wraps the OTLP span exporter to count failures.
type countedSpanExporter struct {
	sdktrace.SpanExporter
	c *Counter
}

func (e *countedSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return e.c.result(e.SpanExporter.ExportSpans(ctx, spans))
}

// RegisterSelfMetrics exposes the agent's own failure counts: the counters'
// OTLP export failures as nexusmon.export.errors (nil counters are skipped)
// and storeErrors, the embedded store's failures, as nexusmon.store.errors.
func RegisterSelfMetrics(mp metric.MeterProvider, storeErrors func() int64, counters ...*Counter) (metric.Registration, error) {
	m := mp.Meter(names.ScopeAgent)
	c, err := m.Int64ObservableCounter(names.ExportErrors, metric.WithUnit("{error}"),
		metric.WithDescription("Failed OTLP export attempts."))
	if err != nil {
		return nil, err
	}
	sc, err := m.Int64ObservableCounter(names.StoreErrors, metric.WithUnit("{error}"),
		metric.WithDescription("Failed operations of the embedded store (a full disk among them)."))
	if err != nil {
		return nil, err
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(sc, storeErrors())
		for _, ec := range counters {
			if ec == nil {
				continue
			}
			o.ObserveInt64(c, ec.errors.Load(), metric.WithAttributes(attribute.String(names.AttrExportBackend, ec.backend)))
		}
		return nil
	}, c, sc)
}
