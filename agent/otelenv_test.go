package agent

import (
	"strings"
	"testing"
	"time"
)

// TestNew_refusesBadOTelEnvironment: a library caller who skipped
// LoadConfig gets the same refusal as `nexusmon run`.
func TestNew_refusesBadOTelEnvironment(t *testing.T) {
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://127.0.0.1:4318"
	_, err := New(t.Context(), cfg, WithEnv(envMap(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/xml"})), WithStdout(&syncBuffer{}))
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
