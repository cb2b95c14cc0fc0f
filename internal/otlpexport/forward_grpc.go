package otlpexport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// grpcMetricUploader sends metric requests through the OTLP
// MetricsService.
type grpcMetricUploader struct {
	conn    *grpc.ClientConn
	client  colmetricpb.MetricsServiceClient
	headers metadata.MD
}

// newGRPCMetricUploader resolves the endpoint as the SDK's gRPC exporter
// does: otlp.endpoint, else OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else
// OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4317; plain text for an
// http:// URL or otlp.insecure (or OTEL_EXPORTER_OTLP_INSECURE=true).
func newGRPCMetricUploader(s Settings, env func(string) (string, bool)) (*grpcMetricUploader, error) {
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
	return &grpcMetricUploader{conn: conn, client: colmetricpb.NewMetricsServiceClient(conn), headers: metadata.New(headers)}, nil
}

func (g *grpcMetricUploader) upload(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest) error {
	if g.headers.Len() > 0 {
		ctx = metadata.NewOutgoingContext(ctx, g.headers)
	}
	if _, err := g.client.Export(ctx, req); err != nil {
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
