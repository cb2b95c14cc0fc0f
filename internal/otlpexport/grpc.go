//go:build nexusmon_grpc

package otlpexport

// OTLP/gRPC, only in a binary built with -tags nexusmon_grpc (make
// build-grpc): the SDK's gRPC exporters and gRPC forwarding. The default
// build has none of this, and no gRPC (cmd/nexusmon's TestNoGRPC).

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

// grpcOptions turns the config-derived settings into one gRPC exporter's
// options; the exporters read the variables themselves (from the process
// environment), so a config value is an option only when its variable is
// unset (For decided that).
type grpcOptions[O any] struct {
	endpointURL func(string) O
	insecure    func() O
	headers     func(map[string]string) O
	timeout     func(time.Duration) O
}

func (e grpcOptions[O]) build(s Settings) []O {
	var o []O
	if s.opts.endpoint != "" {
		o = append(o, e.endpointURL(strings.TrimSuffix(s.opts.endpoint, "/")))
	}
	if s.opts.insecure {
		o = append(o, e.insecure())
	}
	if s.opts.headers != nil {
		o = append(o, e.headers(s.opts.headers))
	}
	if s.opts.timeout > 0 {
		o = append(o, e.timeout(s.opts.timeout))
	}
	return o
}

func newGRPCMetricExporter(ctx context.Context, s Settings) (sdkmetric.Exporter, error) {
	return otlpmetricgrpc.New(ctx, grpcOptions[otlpmetricgrpc.Option]{
		otlpmetricgrpc.WithEndpointURL, otlpmetricgrpc.WithInsecure, otlpmetricgrpc.WithHeaders, otlpmetricgrpc.WithTimeout,
	}.build(s)...)
}

func newGRPCSpanExporter(ctx context.Context, s Settings) (sdktrace.SpanExporter, error) {
	return otlptracegrpc.New(ctx, grpcOptions[otlptracegrpc.Option]{
		otlptracegrpc.WithEndpointURL, otlptracegrpc.WithInsecure, otlptracegrpc.WithHeaders, otlptracegrpc.WithTimeout,
	}.build(s)...)
}

// grpcTraceUploader forwards trace requests through the otlptracegrpc
// client the SDK exporter uses.
type grpcTraceUploader struct{ client otlptrace.Client }

func newGRPCTraceUploader(ctx context.Context, s Settings, _ func(string) (string, bool)) (uploader, error) {
	c := otlptracegrpc.NewClient(grpcOptions[otlptracegrpc.Option]{
		otlptracegrpc.WithEndpointURL, otlptracegrpc.WithInsecure, otlptracegrpc.WithHeaders, otlptracegrpc.WithTimeout,
	}.build(s)...)
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	return &grpcTraceUploader{client: c}, nil
}

func (g *grpcTraceUploader) upload(ctx context.Context, body []byte, asJSON bool) error {
	rs, err := otlpwire.DecodeTraces(body, asJSON)
	if err != nil {
		return fmt.Errorf("forward traces: %w", err)
	}
	return g.client.UploadTraces(ctx, rs)
}

func (g *grpcTraceUploader) stop(ctx context.Context) error { return g.client.Stop(ctx) }

// grpcMetricUploader forwards metric requests through the OTLP
// MetricsService.
type grpcMetricUploader struct {
	conn    *grpc.ClientConn
	client  colmetricpb.MetricsServiceClient
	headers metadata.MD
	timeout time.Duration
}

// newGRPCMetricUploader resolves the endpoint as the SDK's gRPC exporter
// does: otlp.endpoint, else OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else
// OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4317; plain text for an
// http:// URL or otlp.insecure (or OTEL_EXPORTER_OTLP_INSECURE=true).
func newGRPCMetricUploader(_ context.Context, s Settings, env func(string) (string, bool)) (uploader, error) {
	get := func(k string) string {
		v, _ := env(k)
		return strings.TrimSpace(v)
	}
	endpoint := firstNonEmpty(s.opts.endpoint, get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"), get("OTEL_EXPORTER_OTLP_ENDPOINT"), "https://localhost:4317")
	plain := s.opts.insecure || strings.EqualFold(firstNonEmpty(get("OTEL_EXPORTER_OTLP_METRICS_INSECURE"), get("OTEL_EXPORTER_OTLP_INSECURE")), "true")
	target := endpoint
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		target = u.Host
		plain = plain || u.Scheme == "http"
	}
	creds := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	if plain {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("grpc client for %s: %w", redactURL(endpoint), err)
	}
	headers := s.opts.headers
	if headers == nil {
		headers = parseHeaders(firstNonEmpty(get("OTEL_EXPORTER_OTLP_METRICS_HEADERS"), get("OTEL_EXPORTER_OTLP_HEADERS")))
	}
	timeout := s.opts.timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &grpcMetricUploader{conn: conn, client: colmetricpb.NewMetricsServiceClient(conn), headers: metadata.New(headers), timeout: timeout}, nil
}

func (g *grpcMetricUploader) upload(ctx context.Context, body []byte, asJSON bool) error {
	rm, err := otlpwire.DecodeMetrics(body, asJSON)
	if err != nil {
		return fmt.Errorf("forward metrics: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if g.headers.Len() > 0 {
		ctx = metadata.NewOutgoingContext(ctx, g.headers)
	}
	if _, err := g.client.Export(ctx, &colmetricpb.ExportMetricsServiceRequest{ResourceMetrics: rm}); err != nil {
		return fmt.Errorf("forward metrics: %w", err)
	}
	return nil
}

func (g *grpcMetricUploader) stop(context.Context) error {
	if err := g.conn.Close(); err != nil {
		return fmt.Errorf("close metric forwarding: %w", err)
	}
	return nil
}
