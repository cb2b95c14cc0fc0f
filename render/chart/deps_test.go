package chart

import (
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/internal/importcheck"
)

// TestBinaryDeps keeps the chart's cost out of the agent's binary (issue
// 14): nexusmon links no plotting package whose initialisation parses fonts
// (gonum.org/v1/plot registers all twelve Liberation fonts, go-latex four Go
// fonts), none of gonum's vector formats (PDF, SVG, EPS, TeX), and exactly
// one font: Liberation Sans Regular, parsed on the first Render.
func TestBinaryDeps(t *testing.T) {
	t.Parallel()
	forbidden := []string{
		"gonum.org/v1/plot", "gonum.org/v1/plot/plotter", "gonum.org/v1/plot/font/liberation",
		"gonum.org/v1/plot/vg/vgpdf", "gonum.org/v1/plot/vg/vgsvg", "gonum.org/v1/plot/vg/vgeps", "gonum.org/v1/plot/vg/vgtex",
	}
	forbiddenTrees := []string{"codeberg.org/go-pdf/fpdf", "github.com/ajstarks/svgo", "codeberg.org/go-latex", "golang.org/x/image/font/gofont"}
	var fonts []string
	for _, d := range importcheck.Deps(t, "github.com/nexusmon/nexusmon/cmd/nexusmon") {
		for _, f := range forbidden {
			if d == f {
				t.Errorf("nexusmon depends on %s", d)
			}
		}
		for _, f := range forbiddenTrees {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("nexusmon depends on %s (forbidden: %s)", d, f)
			}
		}
		if strings.HasPrefix(d, "codeberg.org/go-fonts/") {
			fonts = append(fonts, d)
		}
	}
	if want := "codeberg.org/go-fonts/liberation/liberationsansregular"; len(fonts) != 1 || fonts[0] != want {
		t.Errorf("font packages %v, want only %s", fonts, want)
	}
}
