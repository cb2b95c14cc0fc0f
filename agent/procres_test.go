package agent

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/otelcoltest"
)

// startSleeper starts a child process for the agent to watch; the test's
// cleanup kills and reaps it.
func startSleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // may have been killed by the test
		_ = cmd.Wait()
	})
	return cmd
}

// TestAgent_otlpWatchedProcessResource: exported to a real Collector, the
// watched process's metrics arrive under a resource of their own carrying
// its pid and executable name (and no process.pid point attribute), while
// the agent's own metrics keep the agent's resource and pid.
func TestAgent_otlpWatchedProcessResource(t *testing.T) {
	c := otelcoltest.Start(t)
	child := startSleeper(t)
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://" + c.HTTPEndpoint
	cfg.OTLP.Protocol = "http/protobuf"
	cfg.OTLP.Insecure = true
	cfg.OTLP.Interval = time.Second
	cfg.OTLP.ServiceName = "watchbot"
	cfg.Process.PID = child.Process.Pid
	startAgent(t, cfg)

	want := strconv.Itoa(child.Process.Pid)
	for _, name := range []string{"process.memory.usage", "process.cpu.time", "nexusmon.process.status"} {
		m := c.WaitForMetric(t, name, 60*time.Second)
		if m.Resource["process.pid"] != want || m.Resource["process.executable.name"] != "sleep" {
			t.Errorf("%s: resource = %v, want process.pid %s and process.executable.name sleep", name, m.Resource, want)
		}
		if m.Resource["service.name"] != "watchbot" || m.Resource["host.name"] == "" {
			t.Errorf("%s: resource = %v, want the agent's service.name and host.name", name, m.Resource)
		}
		if _, ok := m.Resource["process.runtime.version"]; ok {
			t.Errorf("%s: resource carries the agent's process.runtime.version: %v", name, m.Resource)
		}
		for _, p := range m.Points {
			if _, ok := p.Attrs["process.pid"]; ok {
				t.Errorf("%s: point carries process.pid: %v", name, p.Attrs)
			}
		}
	}
	own := strconv.Itoa(os.Getpid())
	for _, name := range []string{"system.memory.usage", "go.goroutine.count", "nexusmon.collector.success"} {
		if m := c.WaitForMetric(t, name, 60*time.Second); m.Resource["process.pid"] != own {
			t.Errorf("%s: resource process.pid = %q, want the agent's %s", name, m.Resource["process.pid"], own)
		}
	}
}

// systemPID is the bot process pid of the last system report; 0 when none
// names one.
func systemPID(e []map[string]any) int {
	sys := eventsOf(e, "detailed_system_monitoring")
	if len(sys) == 0 {
		return 0
	}
	d, _ := sys[len(sys)-1]["data"].(map[string]any)
	bp, _ := d["bot_process_metrics"].(map[string]any)
	pid, _ := bp["pid"].(float64)
	return int(pid)
}

// promSamples returns the samples of family in page (text format) whose
// labels contain every one of labels.
func promSamples(page, family string, labels ...string) []string {
	var out []string
	for _, line := range strings.Split(page, "\n") {
		if !strings.HasPrefix(line, family+"{") && !strings.HasPrefix(line, family+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// TestAgent_watchedProcessRestart: the bot restarts under a new pid (the
// pid file changes): /metrics serves the process families once, with the
// new pid and the executable name as labels from the process's resource,
// beside one target_info (the agent's, with the agent's pid), and the
// system report names the new pid.
func TestAgent_watchedProcessRestart(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "bot.pid")
	cfg := testConfig(t)
	cfg.Process.PIDFile = pidFile
	first := startSleeper(t)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(first.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := startAgent(t, cfg)
	for i, child := range []*exec.Cmd{first, nil} {
		if child == nil { // the restart
			_ = first.Process.Kill()
			_ = first.Wait()
			child = startSleeper(t)
			if err := os.WriteFile(pidFile, []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		pid := strconv.Itoa(child.Process.Pid)
		waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool { return systemPID(e) == child.Process.Pid })
		page := scrapeHandler(t, a.MetricsHandler())
		rss := promSamples(page, "process_memory_usage_bytes")
		if len(rss) != 1 || len(promSamples(page, "process_memory_usage_bytes", `process_pid="`+pid+`"`, `process_executable_name="sleep"`)) != 1 {
			t.Errorf("run %d: process_memory_usage_bytes = %q, want one sample with process_pid %s and process_executable_name sleep", i, rss, pid)
		}
		if strings.Count(page, "# TYPE process_memory_usage_bytes ") != 1 {
			t.Errorf("run %d: the family is served more than once", i)
		}
		ti := promSamples(page, "target_info")
		if len(ti) != 1 || !strings.Contains(ti[0], `process_pid="`+strconv.Itoa(os.Getpid())+`"`) {
			t.Errorf("run %d: target_info = %q, want one, the agent's", i, ti)
		}
	}
}

// TestAgent_botMeterProviderWatchedProcess: with the bot's MeterProvider
// (WithMeterProvider), the watched process still has a provider of its
// own: the bot's provider holds no process instrument (its resource is
// the bot's), while /metrics and the reports show the process.
func TestAgent_botMeterProviderWatchedProcess(t *testing.T) {
	b := newBotSDK()
	own := sdkmetric.NewManualReader()
	build := func(readers []sdkmetric.Reader) *sdkmetric.MeterProvider {
		return b.build(append(readers, own))
	}
	cfg := testConfig(t)
	a, err := New(context.Background(), cfg, WithEnv(noEnv), WithStdout(&syncBuffer{}), WithMeterProvider(build),
		WithTracerProvider(b.tp), WithoutCommandRegistration())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopAgent(t, a)
		_ = b.mp.Shutdown(context.Background())
		_ = b.tp.Shutdown(context.Background())
	})
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool { return systemPID(e) == os.Getpid() })
	var rm metricdata.ResourceMetrics
	if err := own.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == names.ScopeProcess {
			t.Errorf("the bot's provider holds the process instruments (%d metrics)", len(sm.Metrics))
		}
	}
	page := scrapeHandler(t, a.MetricsHandler())
	if len(promSamples(page, "process_memory_usage_bytes", `process_pid="`+strconv.Itoa(os.Getpid())+`"`)) != 1 {
		t.Errorf("/metrics lacks the watched process:\n%.3000s", page)
	}
	if ti := promSamples(page, "target_info"); len(ti) != 1 || !strings.Contains(ti[0], `service_name="mybot"`) {
		t.Errorf("target_info = %q, want one, the bot's", ti)
	}
}
