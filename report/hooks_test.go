package report

import (
	"io"
	"time"

	"github.com/nexusmon/nexusmon/internal/goldentest"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// testTime is the collection time of every fixture.
var testTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// Package render imports report, so its own tests render through these
// hooks, which render_hooks_test.go (package report_test) sets.
var (
	// RenderHook renders r for Discord (channel: as the Reporter posts it
	// with discord.silent_reports on).
	RenderHook goldentest.RenderFunc
	// ConsoleHook is render.RenderConsole.
	ConsoleHook goldentest.ConsoleFunc
	// ChartHook is render/chart.Render, for Options.Chart.
	ChartHook goldentest.ChartFunc
)

// hookConsole is a Console that writes ConsoleHook's text.
type hookConsole struct{ w io.Writer }

func (c hookConsole) WriteReport(r *reportdata.Report) error {
	_, err := io.WriteString(c.w, ConsoleHook(r)+"\n")
	return err
}
