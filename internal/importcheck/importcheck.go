// Package importcheck is for tests: it fails a test when the package under
// test depends, directly or not, on a package it must not (DESIGN §2). It
// asks the go command (`go list -deps`), so it sees what the build sees.
package importcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Forbid fails t for every dependency of the package in the current
// directory (a test's working directory is its package's) that is one of
// forbidden or below one of them: "net/http" forbids net/http and
// net/http/httptrace, "modernc.org" every module there. Test-only imports
// are not dependencies.
func Forbid(t testing.TB, forbidden ...string) {
	t.Helper()
	deps := Deps(t, ".")
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("depends on %s (forbidden: %s)", d, f)
			}
		}
	}
}

// Deps returns `go list -deps pattern` run in the current directory.
func Deps(t testing.TB, pattern string) []string {
	t.Helper()
	gocmd, err := exec.LookPath("go") // go test runs with the go command on PATH
	if err != nil {
		t.Fatalf("find the go command: %v", err)
	}
	out, err := exec.Command(gocmd, "list", "-deps", pattern).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %s", pattern, msg)
	}
	return strings.Fields(string(out))
}

// StdlibOnly fails t when the package in the current directory depends on
// anything but the standard library (a path whose first element has no dot).
func StdlibOnly(t testing.TB) {
	t.Helper()
	deps := Deps(t, ".")
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, d := range deps[:len(deps)-1] { // the package itself comes last
		if first, _, _ := strings.Cut(d, "/"); strings.Contains(first, ".") {
			t.Errorf("depends on %s: only the standard library is allowed", d)
		}
	}
}
