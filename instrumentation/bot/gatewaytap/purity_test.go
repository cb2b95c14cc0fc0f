package gatewaytap

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: the tap depends on the standard library and
// gorilla/websocket, not on discordgo, the OTel SDK or nexusmon's engine.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"github.com/bwmarrin/discordgo", "go.opentelemetry.io/otel/sdk",
		"github.com/nexusmon/nexusmon/agent", "github.com/nexusmon/nexusmon/receiver",
		"github.com/nexusmon/nexusmon/report", "github.com/nexusmon/nexusmon/render",
		"github.com/nexusmon/nexusmon/deliver", "github.com/nexusmon/nexusmon/health")
}
