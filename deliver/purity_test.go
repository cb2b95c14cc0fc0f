package deliver

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go and DESIGN §2: delivery knows the outbox
// through its Outbox interface (no SQLite) and draws nothing (no golang.org/x/image).
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"modernc.org", "golang.org/x/image", "codeberg.org/go-fonts", "github.com/nexusmon/nexusmon/internal/store",
		"github.com/nexusmon/nexusmon/render/chart", "github.com/nexusmon/nexusmon/agent")
}
