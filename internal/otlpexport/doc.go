// Package otlpexport sends the agent's telemetry out over OTLP: it decides,
// per signal, OTLP and console export from the config's otlp keys and the
// standard OTEL_* variables (For), builds the OTLP exporters (nexusmon's own
// over OTLP/HTTP, http/protobuf and http/json, reading the OTLP exporter
// variables as the specification says; the SDK's gRPC ones only with
// -tags nexusmon_grpc) and the SDK's stdout exporters, counts export
// failures (Counter, RegisterSelfMetrics: nexusmon.export.errors and
// nexusmon.store.errors) and forwards what the OTLP receiver gets from bots
// to the same endpoint (Forwarder).
//
// It has its own OTLP/HTTP exporters because the SDK's (otlpmetrichttp,
// otlptracehttp) import gRPC through their config packages, and the OTLP
// collector packages import gRPC and grpc-gateway: without them the default
// binary has no gRPC at all (docs/decisions.md, issue 14).
//
// It imports config, internal/names, internal/otlpwire, the OTel SDK, its
// stdout exporters and the OTLP data protobufs (gRPC and the collector
// packages only with -tags nexusmon_grpc); it must not import agent,
// receiver, report (config brings report/reportdata), render, deliver,
// instrumentation, sdkadapter or a store (the store's failure count is
// passed in as a function).
package otlpexport
