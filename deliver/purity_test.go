package deliver

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go and DESIGN §2: delivery knows the outbox
// through its Outbox interface (no SQLite) and draws nothing (no gonum).
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"modernc.org", "gonum.org", "github.com/nexusmon/nexusmon/internal/store",
		"github.com/nexusmon/nexusmon/render/chart", "github.com/nexusmon/nexusmon/agent")
}
