package errtext

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: standard library only.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"github.com/nexusmon/nexusmon/instrumentation", "github.com/nexusmon/nexusmon/agent",
		"github.com/nexusmon/nexusmon/receiver", "github.com/nexusmon/nexusmon/report",
		"github.com/bwmarrin/discordgo")
}
