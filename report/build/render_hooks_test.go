package build_test

import (
	"github.com/nexusmon/nexusmon/internal/goldentest/goldenrender"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/render/chart"
	"github.com/nexusmon/nexusmon/report/build"
)

// Package render imports build, so its internal tests cannot; they render
// through build.RenderHook, ConsoleHook and ChartHook, set here.
func init() {
	build.RenderHook = goldenrender.Render
	build.ConsoleHook = render.RenderConsole
	build.ChartHook = chart.Render
}
