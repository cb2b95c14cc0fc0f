package agent

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/otelcoltest"
)

// What a bot sends to the receiver reaches the Collector nexusmon exports
// to, unchanged: its command span (ids and resource included), a span
// nexusmon does not use itself, and its metrics, over every protocol the
// binary has (grpc with -tags nexusmon_grpc).
func TestAgent_receiverForwards(t *testing.T) {
	protocols := []string{"http/protobuf", "http/json"}
	if config.GRPCBuilt {
		protocols = append(protocols, "grpc")
	}
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			c := otelcoltest.Start(t)
			cfg := testConfig(t)
			cfg.OTLP.Endpoint = "http://" + c.HTTPEndpoint
			if protocol == "grpc" {
				cfg.OTLP.Endpoint = "http://" + c.GRPCEndpoint
				cfg.OTLP.Insecure = true
			}
			cfg.OTLP.Protocol = protocol
			cfg.Receiver.OTLP.HTTP = "127.0.0.1:0"
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			a, _ := startAgent(t, cfg)

			span := jsCommandSpan("play", time.Now(), 20*time.Millisecond, "", "")
			postOTLP(t, a.ReceiverAddr(), "/v1/traces", &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
				Resource: jsBotResource(),
				ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{span,
					{Name: "GET /users/@me", Kind: tracepb.Span_SPAN_KIND_CLIENT, TraceId: bytes.Repeat([]byte{3}, 16), SpanId: bytes.Repeat([]byte{4}, 8),
						StartTimeUnixNano: span.StartTimeUnixNano, EndTimeUnixNano: span.EndTimeUnixNano},
				}}},
			}}})
			postOTLP(t, a.ReceiverAddr(), "/v1/metrics", &colmetricpb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
				Resource: jsBotResource(),
				ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{
					{Name: "http.client.request.count", Unit: "{request}", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
						{TimeUnixNano: uint64(time.Now().UnixNano()), Value: &metricspb.NumberDataPoint_AsInt{AsInt: 5}}}}}},
				}}},
			}}})

			got := c.WaitForSpan(t, "command play", 30*time.Second)
			if got.TraceID != hex.EncodeToString(span.TraceId) || got.SpanID != hex.EncodeToString(span.SpanId) || got.Resource["service.name"] != "jsbot" {
				t.Errorf("forwarded span = %+v, want the bot's ids and resource", got)
			}
			c.WaitForSpan(t, "GET /users/@me", 30*time.Second)
			m := c.WaitForMetric(t, "http.client.request.count", 30*time.Second)
			if m.Resource["service.name"] != "jsbot" || len(m.Points) != 1 || m.Points[0].Value != 5 {
				t.Errorf("forwarded metric = %+v", m)
			}
		})
	}
}
