package report_test

import (
	"github.com/nexusmon/nexusmon/internal/goldentest/goldenrender"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/render/chart"
	"github.com/nexusmon/nexusmon/report"
)

// Package render imports report, so its internal tests cannot; they render
// through report.RenderHook, ConsoleHook and ChartHook, set here.
func init() {
	report.RenderHook = goldenrender.Render
	report.ConsoleHook = render.RenderConsole
	report.ChartHook = chart.Render
}
