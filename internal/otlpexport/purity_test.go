package otlpexport

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: export and forwarding depend on nothing of
// the agent's but config (which brings health and report/reportdata) and
// the metric names.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"github.com/nexusmon/nexusmon/agent", "github.com/nexusmon/nexusmon/receiver",
		"github.com/nexusmon/nexusmon/report/build", "github.com/nexusmon/nexusmon/render",
		"github.com/nexusmon/nexusmon/deliver", "github.com/nexusmon/nexusmon/instrumentation",
		"github.com/nexusmon/nexusmon/internal/store", "modernc.org", "github.com/nexusmon/nexusmon/sdkadapter")
}
