package format

import (
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestPurity enforces doc.go: the standard library only.
func TestPurity(t *testing.T) {
	t.Parallel()
	for _, d := range importcheck.Deps(t, ".") {
		first, _, _ := strings.Cut(d, "/")
		if strings.Contains(first, ".") && d != "github.com/nexusmon/nexusmon/report/format" {
			t.Errorf("depends on %s: format imports the standard library only", d)
		}
	}
}
