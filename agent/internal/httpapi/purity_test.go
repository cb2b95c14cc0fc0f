package httpapi

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: the endpoints take the agent's state through
// Deps and depend on nothing of the agent's but config (which brings health
// and report/reportdata) and storeapi.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"net/http/pprof", "github.com/nexusmon/nexusmon/internal/store", "modernc.org",
		"github.com/nexusmon/nexusmon/report/build", "github.com/nexusmon/nexusmon/render",
		"github.com/nexusmon/nexusmon/deliver", "github.com/nexusmon/nexusmon/instrumentation",
		"github.com/nexusmon/nexusmon/receiver", "github.com/nexusmon/nexusmon/sdkadapter",
		"go.opentelemetry.io/otel/sdk")
}
