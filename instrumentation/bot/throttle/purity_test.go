package throttle

import (
	"slices"
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: not package bot, the agent, the report
// engine or discordgo.
func TestPurity(t *testing.T) {
	t.Parallel()
	importcheck.Forbid(t,
		"github.com/nexusmon/nexusmon/agent", "github.com/nexusmon/nexusmon/receiver",
		"github.com/nexusmon/nexusmon/report", "github.com/bwmarrin/discordgo")
	if slices.Contains(importcheck.Deps(t, "."), "github.com/nexusmon/nexusmon/instrumentation/bot") {
		t.Error("depends on package bot")
	}
}
