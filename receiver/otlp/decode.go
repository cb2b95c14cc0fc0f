package otlp

import (
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/nexusmon/nexusmon/internal/otlpwire"
)

// Encodings of a request body, from its Content-Type.
type encoding int

const (
	encProtobuf encoding = iota + 1 // application/x-protobuf
	encJSON                         // application/json
)

// decodeTraces decodes an OTLP/HTTP trace export body (already
// decompressed) without the OTLP collector packages (they bring gRPC): the
// request's resource_spans, field 1, one by one (internal/otlpwire). In
// JSON, trace and span ids are hex strings (OTLP/JSON), not protojson's
// base64: they are converted.
func decodeTraces(body []byte, enc encoding) ([]*tracepb.ResourceSpans, error) {
	return otlpwire.DecodeTraces(body, enc == encJSON)
}

// decodeMetrics decodes an OTLP/HTTP metric export body (already
// decompressed), converting the hex ids of exemplars in JSON.
func decodeMetrics(body []byte, enc encoding) ([]*metricspb.ResourceMetrics, error) {
	return otlpwire.DecodeMetrics(body, enc == encJSON)
}
