package render

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go and DESIGN §2: rendering is pure, with no
// network, no Discord client, no store and no chart drawing (the chart is
// render/chart), and never imports delivery or the agent.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"net/http", "github.com/bwmarrin/discordgo", "golang.org/x/image", "codeberg.org/go-fonts", "modernc.org", "go.opentelemetry.io/otel/sdk",
		"github.com/nexusmon/nexusmon/internal/store", "github.com/nexusmon/nexusmon/render/chart",
		"github.com/nexusmon/nexusmon/deliver", "github.com/nexusmon/nexusmon/agent")
}
