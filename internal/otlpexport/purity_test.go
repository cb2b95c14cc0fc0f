package otlpexport

import (
	"testing"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: export and forwarding depend on nothing of
// the agent's but config (which brings health and report/reportdata), the
// metric names and otlpwire; without -tags nexusmon_grpc, on no gRPC and no
// OTLP collector package.
func TestPurity(t *testing.T) {
	t.Parallel()
	var noGRPC []string
	if !config.GRPCBuilt {
		noGRPC = []string{"google.golang.org/grpc", "github.com/grpc-ecosystem", "go.opentelemetry.io/proto/otlp/collector"}
	}
	importcheck.Forbid(t, append(noGRPC,
		"github.com/nexusmon/nexusmon/agent", "github.com/nexusmon/nexusmon/receiver",
		"github.com/nexusmon/nexusmon/report/build", "github.com/nexusmon/nexusmon/render",
		"github.com/nexusmon/nexusmon/deliver", "github.com/nexusmon/nexusmon/instrumentation",
		"github.com/nexusmon/nexusmon/internal/store", "modernc.org", "github.com/nexusmon/nexusmon/sdkadapter")...)
}
