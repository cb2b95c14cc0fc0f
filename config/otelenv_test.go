package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestParse_otelEnvironment: Parse checks the OpenTelemetry variables the
// agent reads itself and reports a bad value as a problem naming the variable.
func TestParse_otelEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	paths := "storage:\n  path: " + filepath.Join(dir, "n.db") + "\noutput:\n  jsonl: " + filepath.Join(dir, "e.jsonl") + "\n"
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		wantKey string // "" when the environment is valid
		wantMsg string
	}{
		{name: "nothing set", env: nil},
		{name: "sdk disabled true", env: map[string]string{"OTEL_SDK_DISABLED": "true"}},
		{name: "sdk disabled TRUE", env: map[string]string{"OTEL_SDK_DISABLED": "TRUE"}},
		{name: "sdk disabled false", env: map[string]string{"OTEL_SDK_DISABLED": "false"}},
		{name: "sdk disabled empty", env: map[string]string{"OTEL_SDK_DISABLED": ""}},
		{name: "sdk disabled yes", env: map[string]string{"OTEL_SDK_DISABLED": "yes"},
			wantKey: "OTEL_SDK_DISABLED", wantMsg: `must be true or false, got "yes"`},

		{name: "metrics otlp", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp"}},
		{name: "metrics none", env: map[string]string{"OTEL_METRICS_EXPORTER": "none"}},
		{name: "metrics console", env: map[string]string{"OTEL_METRICS_EXPORTER": "console"}},
		{name: "metrics prometheus", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}},
		{name: "metrics list", env: map[string]string{"OTEL_METRICS_EXPORTER": " otlp , Console,prometheus"}},
		{name: "metrics empty", env: map[string]string{"OTEL_METRICS_EXPORTER": ""}},
		{name: "metrics unknown", env: map[string]string{"OTEL_METRICS_EXPORTER": "zipkin"},
			wantKey: "OTEL_METRICS_EXPORTER", wantMsg: `unknown exporter "zipkin": want otlp, console, prometheus or none`},
		{name: "metrics none with otlp", env: map[string]string{"OTEL_METRICS_EXPORTER": "none,otlp"},
			wantKey: "OTEL_METRICS_EXPORTER", wantMsg: `"none" cannot be combined with other exporters`},
		{name: "metrics empty item", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp,"},
			wantKey: "OTEL_METRICS_EXPORTER", wantMsg: `unknown exporter ""`},
		{name: "metrics prometheus without http.listen", file: "http:\n  listen: \"\"\n", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"},
			wantKey: "OTEL_METRICS_EXPORTER", wantMsg: "prometheus is the /metrics endpoint, which http.listen turns on; http.listen is empty"},

		{name: "traces otlp", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}},
		{name: "traces none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{name: "traces console", env: map[string]string{"OTEL_TRACES_EXPORTER": "console"}},
		{name: "traces otlp and console", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console"}},
		{name: "traces prometheus", env: map[string]string{"OTEL_TRACES_EXPORTER": "prometheus"},
			wantKey: "OTEL_TRACES_EXPORTER", wantMsg: `unknown exporter "prometheus": want otlp, console or none`},
		{name: "traces jaeger", env: map[string]string{"OTEL_TRACES_EXPORTER": "jaeger"},
			wantKey: "OTEL_TRACES_EXPORTER", wantMsg: `unknown exporter "jaeger": want otlp, console or none`},

		{name: "protocol http/protobuf", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}},
		{name: "protocol http/json", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}},
		{name: "protocol HTTP/JSON", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/JSON"}},
		{name: "protocol unknown", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "udp"},
			wantKey: "OTEL_EXPORTER_OTLP_PROTOCOL", wantMsg: `must be http/protobuf, http/json or grpc, got "udp"`},
		{name: "metrics protocol http/json", env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json"}},
		{name: "traces protocol http/json", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}},
		{name: "protocol grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			wantKey: grpcKey("OTEL_EXPORTER_OTLP_PROTOCOL"), wantMsg: grpcMsg},
		{name: "traces protocol grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
			wantKey: grpcKey("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), wantMsg: grpcMsg},
		{name: "otlp.protocol grpc", file: "otlp:\n  protocol: grpc\n", wantKey: grpcKey("otlp.protocol"), wantMsg: grpcMsg},
		{name: "otlp.protocol http/json", file: "otlp:\n  protocol: http/json\n"},
		{name: "otlp.protocol unknown", file: "otlp:\n  protocol: udp\n",
			wantKey: "otlp.protocol", wantMsg: `must be http/protobuf, http/json or grpc (or empty), got "udp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(paths+tt.file), "otel.yaml", WithEnv(envOf(tt.env)))
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			ps := Problems(err)
			if len(ps) != 1 || ps[0].Key != tt.wantKey || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Fatalf("got %v, want one problem for %s containing %q", err, tt.wantKey, tt.wantMsg)
			}
			if !strings.HasPrefix(tt.wantKey, "OTEL_") {
				return // a config key: it has a line
			}
			if ps[0].Line != 0 {
				t.Errorf("problem %v has a line; a variable's has none", ps[0])
			}
			if want := "otel.yaml: " + tt.wantKey + ": "; !strings.HasPrefix(ps[0].Error(), want) {
				t.Errorf("problem %q does not start with %q", ps[0].Error(), want)
			}
		})
	}
}

// grpcMsg is the problem of grpc in a binary built without it.
const grpcMsg = "grpc needs a binary built with -tags nexusmon_grpc (make build-grpc); use http/protobuf"

// grpcKey is key where grpc is a problem (the default build), "" where it
// is not (-tags nexusmon_grpc).
func grpcKey(key string) string {
	if GRPCBuilt {
		return ""
	}
	return key
}
