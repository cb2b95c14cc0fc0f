package bot

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: instrumentation never imports the agent or
// the report engine.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"github.com/nexusmon/nexusmon/agent", "github.com/nexusmon/nexusmon/receiver",
		"github.com/nexusmon/nexusmon/report", "github.com/nexusmon/nexusmon/render",
		"github.com/nexusmon/nexusmon/deliver", "github.com/nexusmon/nexusmon/health")
}
