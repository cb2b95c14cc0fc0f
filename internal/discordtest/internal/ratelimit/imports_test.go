package ratelimit

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestImportsStandardLibraryOnly keeps the package to the standard
// library: nothing of discordtest, discordgo or websocket.
func TestImportsStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	importcheck.StdlibOnly(t)
}
