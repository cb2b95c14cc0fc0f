package build

import (
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/goldentest"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// testTime is the collection time of every fixture.
var testTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// Package render imports build, so its own tests render through these
// hooks, which render_hooks_test.go (package build_test) sets.
var (
	// RenderHook renders r for Discord (channel: as the Reporter posts it
	// with discord.silent_reports on).
	RenderHook goldentest.RenderFunc
	// ConsoleHook is render.RenderConsole.
	ConsoleHook goldentest.ConsoleFunc
	// ChartHook is render/chart.Render, for Options.Chart.
	ChartHook goldentest.ChartFunc
)

// checkReportGolden renders r for Discord and the console, checks the
// payload against Discord's limits and compares both with
// testdata/reports/<name>.golden.{json,txt} (-update rewrites them).
func checkReportGolden(t *testing.T, name string, r *reportdata.Report) {
	t.Helper()
	goldentest.CheckReport(t, "./report/build", name, r, RenderHook, ConsoleHook)
}
