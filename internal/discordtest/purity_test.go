package discordtest

import (
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity keeps the fake an independent reading of Discord's
// documentation: it depends on no nexusmon package but its own
// sub-packages, so a wrong fact in nexusmon (internal/discordapi, say)
// cannot be wrong in the fake as well and go unnoticed.
func TestPurity(t *testing.T) {
	t.Parallel()
	const self = "github.com/nexusmon/nexusmon/internal/discordtest"
	for _, d := range importcheck.Deps(t, ".") {
		if strings.HasPrefix(d, "github.com/nexusmon/nexusmon/") && d != self && !strings.HasPrefix(d, self+"/") {
			t.Errorf("depends on %s", d)
		}
	}
}
