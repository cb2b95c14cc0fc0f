// Package goldentest holds the golden-file helpers of the report packages'
// tests (report, report/build, report/build/commands). Package render
// imports those packages, so their internal tests render through hook
// variables of the types here, which an external test package sets with
// goldenrender. Only tests import this package.
package goldentest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Update is the -update flag of the test binaries that import this package.
var Update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Rendered is what the report tests look at in a rendered payload.
type Rendered struct {
	Titles   []string // embed titles
	ImageURL string   // the first embed's image URL, "" for none
	Golden   []byte   // the golden form of the payload (testdata/reports)
	LimitErr error    // render.CheckLimits' verdict
}

// RenderFunc renders r for Discord (channel: as the Reporter posts it with
// discord.silent_reports on); goldenrender.Render is one.
type RenderFunc func(r *reportdata.Report, channel bool) (Rendered, error)

// ConsoleFunc is render.RenderConsole.
type ConsoleFunc func(r *reportdata.Report) string

// ChartFunc is render/chart.Render, for the reporter's Options.Chart.
type ChartFunc func(reportdata.HealthChart) ([]byte, error)

// Compare compares got with testdata/<dir>/<name>, rewriting the file first
// under -update. pkg is the package's path as go test takes it ("./report"),
// for the message.
func Compare(t testing.TB, pkg, dir, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", dir, name)
	if *Update {
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
		t.Errorf("output differs from %s (go test %s -run %s -update to accept):\n%s", golden, pkg, t.Name(), got)
	}
}

// CheckReport renders r for Discord and the console, checks the payload
// against Discord's limits and compares both with
// testdata/reports/<name>.golden.{json,txt} (-update rewrites them).
func CheckReport(t testing.TB, pkg, name string, r *reportdata.Report, render RenderFunc, console ConsoleFunc) {
	t.Helper()
	p, err := render(r, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.LimitErr != nil {
		t.Errorf("payload breaks Discord's limits: %v", p.LimitErr)
	}
	Compare(t, pkg, "reports", name+".golden.json", p.Golden)
	// PNG sizes vary by platform (see goldenrender.Render).
	text := pngSize.ReplaceAllString(console(r), "(image/png, N bytes)")
	Compare(t, pkg, "reports", name+".golden.txt", []byte(text+"\n"))
}

var pngSize = regexp.MustCompile(`\(image/png, [0-9]+ bytes\)`)

// File shows a payload's file by size and hash in a golden payload, so
// goldens stay readable.
type File struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"`
}

// HashFile is the File of data: its size and SHA-256.
func HashFile(name, contentType string, data []byte) File {
	sum := sha256.Sum256(data)
	return File{Name: name, ContentType: contentType, Size: len(data), SHA256: hex.EncodeToString(sum[:])}
}
