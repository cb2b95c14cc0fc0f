package discordapi

import (
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestImportsStandardLibraryOnly keeps the package importable from
// anywhere: config, delivery and instrumentation all depend on it.
func TestImportsStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	importcheck.StdlibOnly(t)
}
