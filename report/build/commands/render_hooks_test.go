package commands_test

import (
	"github.com/nexusmon/nexusmon/internal/goldentest/goldenrender"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/render/chart"
	"github.com/nexusmon/nexusmon/report/build/commands"
)

// Package render imports commands, so its internal tests cannot; they render
// through commands.RenderHook, ConsoleHook and ChartHook, set here.
func init() {
	commands.RenderHook = goldenrender.Render
	commands.ConsoleHook = render.RenderConsole
	commands.ChartHook = chart.Render
}
