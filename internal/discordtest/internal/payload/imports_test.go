package payload

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestImportsStandardLibraryOnly keeps the package pure: the standard
// library only, nothing of discordtest, discordgo or websocket.
func TestImportsStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	importcheck.StdlibOnly(t)
}
