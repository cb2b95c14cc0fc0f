package discord

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: the senders know Discord and the payload,
// nothing of the store, the charts or the report engine (the data model,
// report/reportdata, comes with render).
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"modernc.org", "golang.org/x/image", "codeberg.org/go-fonts", "github.com/nexusmon/nexusmon/internal/store",
		"github.com/nexusmon/nexusmon/report/build", // the engine imports it too
		"github.com/nexusmon/nexusmon/render/chart", "github.com/nexusmon/nexusmon/agent")
}
