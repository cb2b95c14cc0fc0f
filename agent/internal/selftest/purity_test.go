package selftest

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: the self-test reaches the store and the
// collection only through Deps.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"github.com/nexusmon/nexusmon/internal/store", "modernc.org", "go.opentelemetry.io/otel/sdk",
		"github.com/nexusmon/nexusmon/instrumentation", "github.com/nexusmon/nexusmon/receiver",
		"github.com/nexusmon/nexusmon/sdkadapter")
}
