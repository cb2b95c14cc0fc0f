package otelcoltest

import _ "embed"

// collectorConfig is a byte-identical copy of otel-config/test-collector.yaml:
// the embed directive cannot reach outside the package directory, and
// TestConfigCopyIsIdentical keeps the two in step.
//
// It reads OTLP_GRPC_PORT, OTLP_HTTP_PORT and OUT_DIR from the environment.
//
//go:embed testdata/test-collector.yaml
var collectorConfig []byte
