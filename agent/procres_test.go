package agent

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

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
	cfg.OTLP.Endpoint = "http://" + c.GRPCEndpoint
	cfg.OTLP.Protocol = "grpc"
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
