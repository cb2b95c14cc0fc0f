package report

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go and DESIGN §2: the report engine runs without
// Discord's client, SQLite, the chart's drawing (x/image, fonts), net/http or the OTel SDK, and never
// imports what comes after it (render, deliver) or the agent.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"github.com/bwmarrin/discordgo", "golang.org/x/image", "codeberg.org/go-fonts", "modernc.org", "net/http", "go.opentelemetry.io/otel/sdk",
		"github.com/nexusmon/nexusmon/internal/store", "github.com/nexusmon/nexusmon/render",
		"github.com/nexusmon/nexusmon/deliver", "github.com/nexusmon/nexusmon/sdkadapter", "github.com/nexusmon/nexusmon/agent")
}
