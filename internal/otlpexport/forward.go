package otlpexport

// Forwarding what the OTLP receiver gets to the agent's own OTLP exporter
// endpoint, so nexusmon can sit between a bot and a Collector: traces
// through the otlptrace clients the SDK exporters use, metrics as the
// protobuf request they came in (POSTed for http/protobuf, through the
// MetricsService client for grpc).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/nexusmon/nexusmon/config"
)

// forwardQueue bounds the requests waiting to be forwarded, per signal;
// past it requests are dropped (and counted by the receiver).
const forwardQueue = 64

// metricUploader sends one metric export request.
type metricUploader interface {
	upload(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest) error
	stop(ctx context.Context) error
}

// Forwarder is the OTLP receiver's Forwarder (receiver/otlp.Forwarder): one
// bounded queue and one goroutine per signal, from Start to Stop.
type Forwarder struct {
	traces    otlptrace.Client // nil: traces are not forwarded
	metrics   metricUploader   // nil: metrics are not forwarded
	timeout   time.Duration
	tc, mc    *Counter
	traceQ    chan *coltracepb.ExportTraceServiceRequest
	metricQ   chan *colmetricpb.ExportMetricsServiceRequest
	wg        sync.WaitGroup
	stopOnce  sync.Once
	cancelRun context.CancelFunc
}

// NewForwarder returns the forwarder for the OTLP export settings of traces
// (ts) and metrics (ms), nil when neither signal is exported. env is the
// environment (os.LookupEnv) the endpoint and header variables come from;
// log gets the export failures and recoveries.
func NewForwarder(ctx context.Context, ts, ms Settings, env func(string) (string, bool), log *slog.Logger) (*Forwarder, error) {
	if !ts.Enabled && !ms.Enabled {
		return nil, nil
	}
	f := &Forwarder{
		timeout: 10 * time.Second,
		traceQ:  make(chan *coltracepb.ExportTraceServiceRequest, forwardQueue),
		metricQ: make(chan *colmetricpb.ExportMetricsServiceRequest, forwardQueue),
	}
	if ts.Enabled {
		switch ts.Protocol {
		case config.ProtocolGRPC:
			f.traces = otlptracegrpc.NewClient(exporterOptions[otlptracegrpc.Option]{
				otlptracegrpc.WithEndpointURL, otlptracegrpc.WithInsecure, otlptracegrpc.WithHeaders, otlptracegrpc.WithTimeout,
			}.build(ts, "")...)
		default:
			f.traces = otlptracehttp.NewClient(exporterOptions[otlptracehttp.Option]{
				otlptracehttp.WithEndpointURL, otlptracehttp.WithInsecure, otlptracehttp.WithHeaders, otlptracehttp.WithTimeout,
			}.build(ts, "/v1/traces")...)
		}
		if err := f.traces.Start(ctx); err != nil {
			return nil, fmt.Errorf("trace forwarding: %w", err)
		}
		f.tc = NewCounter("otlp_forward_traces", log)
	}
	if ms.Enabled {
		var err error
		switch ms.Protocol {
		case config.ProtocolGRPC:
			f.metrics, err = newGRPCMetricUploader(ms, env)
		default:
			f.metrics, err = newHTTPMetricUploader(ms, env)
		}
		if err != nil {
			if f.traces != nil {
				_ = f.traces.Stop(ctx)
			}
			return nil, fmt.Errorf("metric forwarding: %w", err)
		}
		f.mc = NewCounter("otlp_forward_metrics", log)
	}
	if ms.opts.timeout > 0 {
		f.timeout = ms.opts.timeout
	}
	return f, nil
}

// Start runs the queues until Stop.
func (f *Forwarder) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancelRun = cancel
	f.wg.Add(2)
	go func() {
		defer f.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case req := <-f.traceQ:
				uctx, cancel := context.WithTimeout(ctx, f.timeout)
				_ = f.tc.result(f.traces.UploadTraces(uctx, req.ResourceSpans))
				cancel()
			}
		}
	}()
	go func() {
		defer f.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case req := <-f.metricQ:
				uctx, cancel := context.WithTimeout(ctx, f.timeout)
				_ = f.mc.result(f.metrics.upload(uctx, req))
				cancel()
			}
		}
	}()
}

// ForwardTraces queues req; false when traces are not forwarded or the
// queue is full.
func (f *Forwarder) ForwardTraces(req *coltracepb.ExportTraceServiceRequest) bool {
	if f.traces == nil {
		return true // nothing to forward to: not a drop
	}
	select {
	case f.traceQ <- req:
		return true
	default:
		return false
	}
}

// ForwardMetrics queues req; false when the queue is full.
func (f *Forwarder) ForwardMetrics(req *colmetricpb.ExportMetricsServiceRequest) bool {
	if f.metrics == nil {
		return true
	}
	select {
	case f.metricQ <- req:
		return true
	default:
		return false
	}
}

// Stop ends the queues (requests still queued are dropped: the bot's SDK
// has already been answered) and closes the clients. Only the first call
// does anything.
func (f *Forwarder) Stop(ctx context.Context) error {
	var err error
	f.stopOnce.Do(func() {
		if f.cancelRun != nil {
			f.cancelRun()
		}
		f.wg.Wait()
		if f.traces != nil {
			err = f.traces.Stop(ctx)
		}
		if f.metrics != nil {
			if merr := f.metrics.stop(ctx); err == nil {
				err = merr
			}
		}
	})
	return err
}

// Counters are the forwarder's export counters, for RegisterSelfMetrics;
// none for a nil Forwarder.
func (f *Forwarder) Counters() []*Counter {
	if f == nil {
		return nil
	}
	return []*Counter{f.tc, f.mc}
}

// httpMetricUploader POSTs metric requests as http/protobuf.
type httpMetricUploader struct {
	url     string
	headers map[string]string
	client  *http.Client
}

// newHTTPMetricUploader resolves the metrics endpoint as the SDK exporter
// does: otlp.endpoint + /v1/metrics, else OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
// as is, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics, else
// https://localhost:4318/v1/metrics; headers from otlp.headers, else the
// OTEL_EXPORTER_OTLP_(METRICS_)HEADERS variables.
func newHTTPMetricUploader(s Settings, env func(string) (string, bool)) (*httpMetricUploader, error) {
	get := func(k string) string {
		v, _ := env(k)
		return strings.TrimSpace(v)
	}
	var u string
	switch {
	case s.opts.endpoint != "":
		u = strings.TrimSuffix(s.opts.endpoint, "/") + "/v1/metrics"
		if s.opts.insecure {
			u = strings.Replace(u, "https://", "http://", 1)
		}
	case get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") != "":
		u = get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
	case get("OTEL_EXPORTER_OTLP_ENDPOINT") != "":
		u = strings.TrimSuffix(get("OTEL_EXPORTER_OTLP_ENDPOINT"), "/") + "/v1/metrics"
	default:
		u = "https://localhost:4318/v1/metrics"
	}
	if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return nil, fmt.Errorf("metrics endpoint %q is not an http(s) URL", redactURL(u))
	}
	headers := s.opts.headers
	if headers == nil {
		headers = parseHeaders(firstNonEmpty(get("OTEL_EXPORTER_OTLP_METRICS_HEADERS"), get("OTEL_EXPORTER_OTLP_HEADERS")))
	}
	timeout := s.opts.timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &httpMetricUploader{url: u, headers: headers, client: &http.Client{Timeout: timeout}}, nil
}

func (h *httpMetricUploader) upload(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest) error {
	body, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("forward metrics: %w", err)
	}
	r.Header.Set("Content-Type", "application/x-protobuf")
	for k, v := range h.headers {
		r.Header.Set(k, v)
	}
	resp, err := h.client.Do(r)
	if err != nil {
		return fmt.Errorf("forward metrics: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("forward metrics: collector answered %s", resp.Status)
	}
	return nil
}

func (h *httpMetricUploader) stop(context.Context) error {
	h.client.CloseIdleConnections()
	return nil
}

// parseHeaders reads the OTEL_EXPORTER_OTLP_HEADERS format: k=v pairs,
// comma-separated, URL-encoded values. Malformed pairs are skipped
// (config.ReadOTelEnv has reported them).
func parseHeaders(s string) map[string]string {
	if s == "" {
		return nil
	}
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		if dv, err := url.QueryUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

// redactURL drops the user information and query of u for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable)"
	}
	p.User, p.RawQuery = nil, ""
	return p.String()
}
