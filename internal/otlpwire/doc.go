// Package otlpwire reads and writes the bodies of OTLP/HTTP export requests
// and responses, in binary protobuf and in OTLP/JSON, without the OTLP
// collector packages (go.opentelemetry.io/proto/otlp/collector/...), which
// import gRPC and grpc-gateway. An Export{Trace,Metrics}ServiceRequest is
// `repeated Resource{Spans,Metrics} resource_{spans,metrics} = 1`, so a body
// is read field by field with protowire and each resource is one
// proto.Unmarshal (protojson for JSON); a response's partial_success is
// written and read by hand.
//
// OTLP/JSON spells trace and span ids in hex, not protojson's base64: the
// decoders and encoders convert them.
//
// It imports the OTLP data protobufs (common, resource, trace, metrics) and
// google.golang.org/protobuf only.
package otlpwire
