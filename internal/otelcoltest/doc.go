// Package otelcoltest runs a real OpenTelemetry Collector for integration
// tests and reads back what it received.
//
// The collector is the distribution in otel-config/collector (OTLP receiver,
// file and debug exporters), built once per test process by [Binary] into
// <repo root>/bin/otelcol-test and cached there. [Start] runs it on free
// loopback ports with the configuration of otel-config/test-collector.yaml;
// the file exporter writes every OTLP request as one line of OTLP JSON, which
// [Collector.Metrics] and [Collector.Spans] parse into small plain types.
//
// The package is for tests only. It never reaches beyond 127.0.0.1, never
// reads files outside the repository and the test's temporary directory, and
// stops every collector it starts through t.Cleanup.
package otelcoltest
