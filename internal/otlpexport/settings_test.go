package otlpexport

import (
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/config"
)

// forCase is one case of TestFor_environment.
type forCase struct {
	name        string
	signal      string
	cfgEndpoint string
	cfgProtocol string
	env         map[string]string
	wantOTLP    bool
	wantConsole bool
	wantProto   string // when wantOTLP
	wantErr     string // substring; the variable's name
}

// TestFor_environment: the standard variables decide, per signal,
// whether OTLP and console export are on and with which protocol.
func TestFor_environment(t *testing.T) {
	t.Parallel()
	const endpoint = "http://127.0.0.1:4318"
	tests := []forCase{
		{name: "nothing set: off", signal: "metrics"},
		{name: "config endpoint", signal: "metrics", cfgEndpoint: endpoint, wantOTLP: true, wantProto: "http/protobuf"},
		{name: "env endpoint", signal: "traces", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, wantOTLP: true, wantProto: "http/protobuf"},
		{name: "config protocol", signal: "metrics", cfgEndpoint: endpoint, cfgProtocol: "http/json", wantOTLP: true, wantProto: "http/json"},
		{name: "env protocol wins", signal: "metrics", cfgEndpoint: endpoint, cfgProtocol: "http/protobuf",
			env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, wantOTLP: true, wantProto: "http/json"},
		{name: "signal protocol wins", signal: "traces", cfgEndpoint: endpoint,
			env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, wantOTLP: true, wantProto: "http/json"},
		{name: "other signal's protocol ignored", signal: "metrics", cfgEndpoint: endpoint,
			env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, wantOTLP: true, wantProto: "http/protobuf"},

		{name: "metrics none", signal: "metrics", cfgEndpoint: endpoint, env: map[string]string{"OTEL_METRICS_EXPORTER": "none"}},
		{name: "traces none", signal: "traces", cfgEndpoint: endpoint, env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{name: "metrics none leaves traces", signal: "traces", cfgEndpoint: endpoint, env: map[string]string{"OTEL_METRICS_EXPORTER": "none"},
			wantOTLP: true, wantProto: "http/protobuf"},
		{name: "otlp without endpoint uses the exporter's default", signal: "metrics", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp"},
			wantOTLP: true, wantProto: "http/protobuf"},
		{name: "OTLP upper case", signal: "traces", env: map[string]string{"OTEL_TRACES_EXPORTER": "OTLP"}, wantOTLP: true, wantProto: "http/protobuf"},
		{name: "console only", signal: "metrics", cfgEndpoint: endpoint, env: map[string]string{"OTEL_METRICS_EXPORTER": "console"}, wantConsole: true},
		{name: "traces console", signal: "traces", env: map[string]string{"OTEL_TRACES_EXPORTER": "console"}, wantConsole: true},
		{name: "otlp and console", signal: "metrics", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp,console"},
			wantOTLP: true, wantConsole: true, wantProto: "http/protobuf"},
		{name: "prometheus only: no OTLP", signal: "metrics", cfgEndpoint: endpoint, env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}},
		{name: "prometheus and otlp", signal: "metrics", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus,otlp"},
			wantOTLP: true, wantProto: "http/protobuf"},

		{name: "sdk disabled", signal: "metrics", cfgEndpoint: endpoint,
			env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_METRICS_EXPORTER": "otlp,console"}},
		{name: "sdk disabled traces", signal: "traces", env: map[string]string{"OTEL_SDK_DISABLED": "True", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}},
		{name: "sdk not disabled", signal: "metrics", cfgEndpoint: endpoint, env: map[string]string{"OTEL_SDK_DISABLED": "false"},
			wantOTLP: true, wantProto: "http/protobuf"},

		{name: "http/json", signal: "metrics", cfgEndpoint: endpoint, env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
			wantOTLP: true, wantProto: "http/json"},
		{name: "unknown protocol", signal: "traces", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/xml"},
			wantErr: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be http/protobuf, http/json or grpc, got "http/xml"`},
		{name: "unknown metrics exporter", signal: "metrics", env: map[string]string{"OTEL_METRICS_EXPORTER": "zipkin"},
			wantErr: `OTEL_METRICS_EXPORTER: unknown exporter "zipkin"`},
		{name: "prometheus traces exporter", signal: "traces", env: map[string]string{"OTEL_TRACES_EXPORTER": "prometheus"},
			wantErr: `OTEL_TRACES_EXPORTER: unknown exporter "prometheus"`},
		{name: "bad sdk disabled", signal: "traces", env: map[string]string{"OTEL_SDK_DISABLED": "1"},
			wantErr: `OTEL_SDK_DISABLED: must be true or false, got "1"`},
	}
	grpc := map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	if config.GRPCBuilt {
		tests = append(tests, forCase{name: "grpc", signal: "metrics", cfgEndpoint: endpoint, env: grpc, wantOTLP: true, wantProto: "grpc"})
	} else {
		tests = append(tests, forCase{name: "grpc", signal: "metrics", cfgEndpoint: endpoint, env: grpc,
			wantErr: "OTEL_EXPORTER_OTLP_PROTOCOL: grpc needs a binary built with -tags nexusmon_grpc (make build-grpc); use http/protobuf"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Default().OTLP
			cfg.Endpoint, cfg.Protocol = tt.cfgEndpoint, tt.cfgProtocol
			s, err := For(tt.signal, cfg, envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Enabled != tt.wantOTLP || s.Console != tt.wantConsole {
				t.Errorf("otlp %v console %v, want %v %v", s.Enabled, s.Console, tt.wantOTLP, tt.wantConsole)
			}
			if tt.wantOTLP && s.Protocol != tt.wantProto {
				t.Errorf("protocol %q, want %q", s.Protocol, tt.wantProto)
			}
		})
	}
}

// envMap is an environment for For and NewForwarder.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
