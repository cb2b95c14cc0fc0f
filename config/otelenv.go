package config

import (
	"strings"
)

// The OpenTelemetry SDK variables config checks (internal/otlpexport reads
// the OTLP exporter's others, such as OTEL_EXPORTER_OTLP_ENDPOINT).
const (
	EnvSDKDisabled         = "OTEL_SDK_DISABLED"
	EnvMetricsExporter     = "OTEL_METRICS_EXPORTER"
	EnvTracesExporter      = "OTEL_TRACES_EXPORTER"
	EnvOTLPProtocol        = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvOTLPMetricsProtocol = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"
	EnvOTLPTracesProtocol  = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
)

// OTelEnv is what the standard variables ask of the SDK exporters. The
// Discord reports, the events file and /metrics are nexusmon's own output,
// not SDK exports: no variable here turns them off.
type OTelEnv struct {
	// Disabled is OTEL_SDK_DISABLED=true: no OTLP or console export.
	Disabled bool
	Metrics  Exporters // OTEL_METRICS_EXPORTER
	Traces   Exporters // OTEL_TRACES_EXPORTER
	// MetricsProtocol and TracesProtocol are the signal's
	// OTEL_EXPORTER_OTLP_{METRICS,TRACES}_PROTOCOL, else
	// OTEL_EXPORTER_OTLP_PROTOCOL: ProtocolHTTPProtobuf, ProtocolHTTPJSON,
	// ProtocolGRPC (only when GRPCBuilt) or "".
	MetricsProtocol string
	TracesProtocol  string
}

// Exporters is one signal's OTEL_*_EXPORTER list.
type Exporters struct {
	// Set is true when the variable is set and not empty; unset, OTLP
	// export follows whether an endpoint is configured.
	Set        bool
	OTLP       bool
	Console    bool // stderr, through the SDK's stdout exporters
	Prometheus bool // metrics only: the /metrics endpoint (http.listen)
}

// ReadOTelEnv reads the variables through env. A value the agent cannot
// honour is a problem keyed by the variable's name; values are
// case-insensitive, as the SDK specification asks of enumerations.
func ReadOTelEnv(env func(string) (string, bool)) (OTelEnv, []*Problem) {
	get := func(k string) string {
		v, _ := env(k)
		return strings.ToLower(strings.TrimSpace(v))
	}
	var e OTelEnv
	var ps []*Problem
	switch v := get(EnvSDKDisabled); v {
	case "true":
		e.Disabled = true
	case "false", "":
	default:
		ps = append(ps, problem(EnvSDKDisabled, "must be true or false, got %q", v))
	}
	var p *Problem
	if e.Metrics, p = readExporters(EnvMetricsExporter, get(EnvMetricsExporter), true); p != nil {
		ps = append(ps, p)
	}
	if e.Traces, p = readExporters(EnvTracesExporter, get(EnvTracesExporter), false); p != nil {
		ps = append(ps, p)
	}
	protocol := func(k string) string {
		v := get(k)
		if v == "" {
			return ""
		}
		if msg := protocolProblem(v, false); msg != "" {
			ps = append(ps, problem(k, "%s", msg))
			return ""
		}
		return v
	}
	general := protocol(EnvOTLPProtocol)
	e.MetricsProtocol = firstSet(protocol(EnvOTLPMetricsProtocol), general)
	e.TracesProtocol = firstSet(protocol(EnvOTLPTracesProtocol), general)
	return e, ps
}

// readExporters parses a comma-separated OTEL_*_EXPORTER value.
func readExporters(key, v string, metrics bool) (Exporters, *Problem) {
	var x Exporters
	if v == "" {
		return x, nil
	}
	x.Set = true
	want := "otlp, console or none"
	if metrics {
		want = "otlp, console, prometheus or none"
	}
	none := false
	items := strings.Split(v, ",")
	for _, it := range items {
		switch it = strings.TrimSpace(it); {
		case it == "otlp":
			x.OTLP = true
		case it == "console":
			x.Console = true
		case it == "prometheus" && metrics:
			x.Prometheus = true
		case it == "none":
			none = true
		default:
			return Exporters{}, problem(key, "unknown exporter %q: want %s", it, want)
		}
	}
	if none && len(items) > 1 {
		return Exporters{}, problem(key, `"none" cannot be combined with other exporters`)
	}
	return x, nil
}

func firstSet(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// otelEnvProblems returns the problems of the environment for cfg: the
// variables' own, and OTEL_METRICS_EXPORTER=prometheus without http.listen.
func otelEnvProblems(cfg *Config, env func(string) (string, bool)) []*Problem {
	e, ps := ReadOTelEnv(env)
	if e.Metrics.Prometheus && cfg.HTTP.Listen == "" {
		ps = append(ps, problem(EnvMetricsExporter, "prometheus is the /metrics endpoint, which http.listen turns on; http.listen is empty"))
	}
	return ps
}
