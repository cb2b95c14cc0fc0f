package main

import (
	"runtime"
	"strings"
	"testing"
)

// `<command> --help` prints the usage on stdout and exits 0; an unexpected
// argument or an unknown --log-format is a usage error (exit 2).
func TestCLI_helpArgsAndFormat(t *testing.T) {
	for _, cmd := range []string{"run", "check-config", "test-report"} {
		code, out, errOut := runCmd(t, cmd, "--help")
		if code != 0 || !strings.Contains(out, "-config") || !strings.Contains(out, "-log-format") || errOut != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q; want 0 and the flags on stdout", cmd, code, out, errOut)
		}
	}
	// Before the fix `run` ignored the argument and ran: the config keeps a
	// regression on loopback (and the test then times out).
	code, _, errOut := runCmd(t, "run", "--config", storageConfig(t, ""), "extra")
	if code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("run extra: exit %d, stderr %q; want 2 naming the argument", code, errOut)
	}
	code, _, errOut = runCmd(t, "version", "extra")
	if code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, stderr %q; want 2", code, errOut)
	}
	code, _, errOut = runCmd(t, "check-config", "--log-format", "xml", "--config", storageConfig(t, ""))
	if code != 2 || !strings.Contains(errOut, "--log-format") {
		t.Errorf("--log-format xml: exit %d, stderr %q; want 2", code, errOut)
	}
}

// `version` prints the version, the Go version and the build information.
func TestCLI_version(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	if code != 0 || !strings.HasPrefix(out, "nexusmon ") || !strings.Contains(out, runtime.Version()) || !strings.Contains(out, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("version: exit %d, %q; want the version, %s and %s/%s", code, out, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
}
