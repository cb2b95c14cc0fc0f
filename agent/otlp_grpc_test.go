//go:build nexusmon_grpc

package agent

import (
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/otelcoltest"
)

// OTLP/gRPC export, in a binary built with -tags nexusmon_grpc (make test
// runs this file's tests with the tag).

func TestAgent_otlpGRPCFromConfig(t *testing.T) {
	c := otelcoltest.Start(t)
	cfg := testConfig(t)
	cfg.OTLP.Endpoint = "http://" + c.GRPCEndpoint
	cfg.OTLP.Protocol = "grpc"
	cfg.OTLP.Insecure = true
	cfg.OTLP.Interval = time.Second
	cfg.OTLP.ServiceName = "nexusmon-grpc-test"
	startAgent(t, cfg)
	requireMetrics(t, c, "system.cpu.time", "system.memory.usage", "process.memory.usage", "process.cpu.time", "go.goroutine.count", "nexusmon.collector.success")
	if m := c.WaitForMetric(t, "process.memory.usage", 30*time.Second); m.Resource["service.name"] != "nexusmon-grpc-test" {
		t.Errorf("service.name = %q, want the configured one", m.Resource["service.name"])
	}
}
