// Package goldenrender renders reports for the golden tests of the report
// packages: their external test packages set the goldentest hooks with it.
// Only tests import this package.
package goldenrender

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png" // image.DecodeConfig of the health chart

	"github.com/nexusmon/nexusmon/internal/goldentest"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Render is a goldentest.RenderFunc: it renders r with render.Render.
func Render(r *reportdata.Report, channel bool) (goldentest.Rendered, error) {
	if channel {
		// As the Reporter posts it with the default configuration
		// (discord.silent_reports on), so goldens show the flags.
		r = report.NewReporter(report.Options{SilentReports: true}).ForChannel(r)
	}
	p, err := render.Render(r)
	if err != nil {
		return goldentest.Rendered{}, err
	}
	out := goldentest.Rendered{LimitErr: render.CheckLimits(&p)}
	for _, e := range p.Embeds {
		out.Titles = append(out.Titles, e.Title)
	}
	if len(p.Embeds) > 0 && p.Embeds[0].Image != nil {
		out.ImageURL = p.Embeds[0].Image.URL
	}
	if out.Golden, err = reportGolden(p); err != nil {
		return goldentest.Rendered{}, err
	}
	return out, nil
}

type goldenPayload struct {
	render.Payload
	Files []goldentest.File `json:"files,omitempty"`
}

// reportGolden is the golden form of a payload: files by size and hash,
// except PNG charts, shown by their decoded dimensions (their bytes depend
// on the platform's floating point and font rasteriser).
func reportGolden(p render.Payload) ([]byte, error) {
	g := goldenPayload{Payload: p}
	for _, f := range p.Files {
		gf := goldentest.HashFile(f.Name, f.ContentType, f.Data)
		if f.ContentType == "image/png" {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(f.Data))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			gf.Size, gf.SHA256 = 0, fmt.Sprintf("%s %dx%d", format, cfg.Width, cfg.Height)
		}
		g.Files = append(g.Files, gf)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
