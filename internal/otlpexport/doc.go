// Package otlpexport sends the agent's telemetry out over OTLP: it decides,
// per signal, OTLP and console export from the config's otlp keys and the
// standard OTEL_* variables (For), builds the SDK's OTLP and stdout
// exporters, counts export failures (Counter, RegisterSelfMetrics:
// nexusmon.export.errors and nexusmon.store.errors) and forwards what the
// OTLP receiver gets from bots to the same endpoint (Forwarder).
//
// It imports config, internal/names, the OTel SDK, its exporters, gRPC and
// the OTLP protobufs; it must not import agent, receiver, report (config
// brings report/reportdata), render, deliver, instrumentation, sdkadapter
// or a store (the store's failure count is passed in as a function).
package otlpexport
