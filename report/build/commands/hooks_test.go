package commands

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

var updateReports = flag.Bool("update", false, "rewrite testdata/reports/*.golden.{json,txt}")

// testTime is the collection time of every fixture.
var testTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// Package render imports report/build/commands (through report), so its own tests render through
// these hooks, which render_hooks_test.go (package commands_test) sets.
var (
	// RenderHook renders r for Discord (channel: as the Reporter posts it
	// with discord.silent_reports on).
	RenderHook func(r *reportdata.Report, channel bool) (Rendered, error)
	// ConsoleHook is render.RenderConsole.
	ConsoleHook func(r *reportdata.Report) string
	// ChartHook is render/chart.Render, for Options.Chart.
	ChartHook func(reportdata.HealthChart) ([]byte, error)
)

// Rendered is what report's tests look at in a rendered payload.
type Rendered struct {
	Titles   []string // embed titles
	ImageURL string   // the first embed's image URL, "" for none
	Golden   []byte   // the golden form of the payload (testdata/reports)
	LimitErr error    // render.CheckLimits' verdict
}

// compareReportGolden compares got with testdata/<dir>/<name>, rewriting the file
// first under -update.
func compareReportGolden(t *testing.T, dir, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", dir, name)
	if *updateReports {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./report/build/commands -run %s -update to accept):\n%s", golden, t.Name(), got)
	}
}

// checkReportGolden renders r for Discord and the console, checks the
// payload against Discord's limits and compares both with
// testdata/reports/<name>.golden.{json,txt} (-update rewrites them).
func checkReportGolden(t *testing.T, name string, r *reportdata.Report) {
	t.Helper()
	p, err := RenderHook(r, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.LimitErr != nil {
		t.Errorf("payload breaks Discord's limits: %v", p.LimitErr)
	}
	compareReportGolden(t, "reports", name+".golden.json", p.Golden)
	// PNG sizes vary by platform (see RenderHook).
	console := pngSize.ReplaceAllString(ConsoleHook(r), "(image/png, N bytes)")
	compareReportGolden(t, "reports", name+".golden.txt", []byte(console+"\n"))
}

var pngSize = regexp.MustCompile(`\(image/png, [0-9]+ bytes\)`)
