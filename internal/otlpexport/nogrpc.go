//go:build !nexusmon_grpc

package otlpexport

import (
	"context"
	"errors"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// errNoGRPC is grpc asked of a binary built without it; config.Parse and
// For report it before anything gets here.
var errNoGRPC = errors.New("grpc needs a binary built with -tags nexusmon_grpc (make build-grpc); use http/protobuf")

func newGRPCMetricExporter(context.Context, Settings) (sdkmetric.Exporter, error) {
	return nil, errNoGRPC
}

func newGRPCSpanExporter(context.Context, Settings) (sdktrace.SpanExporter, error) {
	return nil, errNoGRPC
}

func newGRPCTraceUploader(context.Context, Settings, func(string) (string, bool)) (uploader, error) {
	return nil, errNoGRPC
}

func newGRPCMetricUploader(context.Context, Settings, func(string) (string, bool)) (uploader, error) {
	return nil, errNoGRPC
}
