package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/config"
)

// TestOTLPFor_environment: the standard variables decide, per signal,
// whether OTLP and console export are on and with which protocol.
func TestOTLPFor_environment(t *testing.T) {
	t.Parallel()
	const endpoint = "http://127.0.0.1:4318"
	tests := []struct {
		name        string
		signal      string
		cfgEndpoint string
		cfgProtocol string
		env         map[string]string
		wantOTLP    bool
		wantConsole bool
		wantProto   string // when wantOTLP
		wantErr     string // substring; the variable's name
	}{
		{name: "nothing set: off", signal: "metrics"},
		{name: "config endpoint", signal: "metrics", cfgEndpoint: endpoint, wantOTLP: true, wantProto: "http/protobuf"},
		{name: "env endpoint", signal: "traces", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, wantOTLP: true, wantProto: "http/protobuf"},
		{name: "config protocol", signal: "metrics", cfgEndpoint: endpoint, cfgProtocol: "grpc", wantOTLP: true, wantProto: "grpc"},
		{name: "env protocol wins", signal: "metrics", cfgEndpoint: endpoint, cfgProtocol: "http/protobuf",
			env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, wantOTLP: true, wantProto: "grpc"},
		{name: "signal protocol wins", signal: "traces", cfgEndpoint: endpoint,
			env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, wantOTLP: true, wantProto: "grpc"},
		{name: "other signal's protocol ignored", signal: "metrics", cfgEndpoint: endpoint,
			env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, wantOTLP: true, wantProto: "http/protobuf"},

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
			wantErr: `OTEL_EXPORTER_OTLP_PROTOCOL: must be grpc or http/protobuf, got "http/json"`},
		{name: "signal http/json", signal: "traces", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
			wantErr: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{name: "unknown metrics exporter", signal: "metrics", env: map[string]string{"OTEL_METRICS_EXPORTER": "zipkin"},
			wantErr: `OTEL_METRICS_EXPORTER: unknown exporter "zipkin"`},
		{name: "prometheus traces exporter", signal: "traces", env: map[string]string{"OTEL_TRACES_EXPORTER": "prometheus"},
			wantErr: `OTEL_TRACES_EXPORTER: unknown exporter "prometheus"`},
		{name: "bad sdk disabled", signal: "traces", env: map[string]string{"OTEL_SDK_DISABLED": "1"},
			wantErr: `OTEL_SDK_DISABLED: must be true or false, got "1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Default().OTLP
			cfg.Endpoint, cfg.Protocol = tt.cfgEndpoint, tt.cfgProtocol
			s, err := otlpFor(tt.signal, cfg, envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.enabled != tt.wantOTLP || s.console != tt.wantConsole {
				t.Errorf("otlp %v console %v, want %v %v", s.enabled, s.console, tt.wantOTLP, tt.wantConsole)
			}
			if tt.wantOTLP && s.protocol != tt.wantProto {
				t.Errorf("protocol %q, want %q", s.protocol, tt.wantProto)
			}
		})
	}
}

// TestNew_refusesBadOTelEnvironment: a library caller who skipped
// LoadConfig gets the same refusal as `nexusmon run`.
func TestNew_refusesBadOTelEnvironment(t *testing.T) {
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://127.0.0.1:4318"
	_, err := New(t.Context(), cfg, WithEnv(envMap(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})), WithStdout(&syncBuffer{}))
	if err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_PROTOCOL") {
		t.Fatalf("New: %v, want an error naming OTEL_EXPORTER_OTLP_PROTOCOL", err)
	}
}

// TestAgent_consoleExportToStderr: OTEL_METRICS_EXPORTER=console writes the
// SDK's metrics to stderr, leaving stdout to the console reports.
func TestAgent_consoleExportToStderr(t *testing.T) {
	cfg := testConfig(t)
	cfg.OTLP.Interval = time.Second
	stderr := &syncBuffer{}
	_, stdout := startAgent(t, cfg, WithStderr(stderr), WithEnv(envMap(map[string]string{"OTEL_METRICS_EXPORTER": "console"})))
	waitFor(t, 30*time.Second, "system.memory.usage on stderr", func() bool {
		return strings.Contains(stderr.String(), `"Name":"system.memory.usage"`)
	})
	if strings.Contains(stdout.String(), `"Name":"system.memory.usage"`) {
		t.Error("the console exporter wrote to stdout")
	}
}

// TestAgent_sdkDisabled: OTEL_SDK_DISABLED=true turns OTLP and console
// export off; the reports go on.
func TestAgent_sdkDisabled(t *testing.T) {
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://127.0.0.1:4318"
	cfg.OTLP.Interval = time.Second
	stderr := &syncBuffer{}
	a, _ := startAgent(t, cfg, WithStderr(stderr), WithEnv(envMap(map[string]string{
		"OTEL_SDK_DISABLED": "true", "OTEL_METRICS_EXPORTER": "otlp,console", "OTEL_TRACES_EXPORTER": "otlp,console",
	})))
	if a.otlpM != nil || a.otlpT != nil {
		t.Errorf("OTLP export on although OTEL_SDK_DISABLED=true (metrics %v, traces %v)", a.otlpM != nil, a.otlpT != nil)
	}
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, "detailed_system_monitoring")) >= 2
	})
	if err := a.mp.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := stderr.String(); s != "" {
		t.Errorf("console export wrote although OTEL_SDK_DISABLED=true:\n%.500s", s)
	}
}
