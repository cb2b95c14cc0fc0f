package discordjs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// npmMu serialises npm ci between the tests of this package.
var npmMu sync.Mutex

// nodeTools returns the paths of node and npm. Without them the test fails
// when the environment variable CI is set (CI installs them: .ci/run) and
// is skipped otherwise, saying why either way.
func nodeTools(t *testing.T) (node, npm string) {
	t.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	npm, err = exec.LookPath("npm")
	if err != nil {
		missing = append(missing, "npm")
	}
	var problem string
	if len(missing) > 0 {
		problem = strings.Join(missing, " and ") + " not found in PATH"
	} else if v, err := exec.Command(node, "--version").Output(); err != nil {
		problem = fmt.Sprintf("%s --version: %v", node, err)
	} else if !nodeVersionOK(strings.TrimSpace(string(v))) {
		problem = fmt.Sprintf("%s is Node.js %s", node, strings.TrimSpace(string(v)))
	}
	if problem != "" {
		msg := problem + ": the discord.js example needs Node.js 18.19 or later with npm (make node-deps installs Debian's nodejs and npm, as root)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, npm
}

// nodeVersionOK reports whether v ("v20.11.1") is 18.19 or later.
func nodeVersionOK(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "v%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 18 || (major == 18 && minor >= 19)
}

// npmCI installs the locked dependencies into node_modules when
// package.json or package-lock.json is newer than the last install
// (node_modules/.package-lock.json, written by npm), so installs are cached
// between runs.
func npmCI(t *testing.T, npm string) {
	t.Helper()
	npmMu.Lock()
	defer npmMu.Unlock()
	stale, why := installStale(".")
	if !stale {
		return
	}
	t.Logf("npm ci: %s", why)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--prefer-offline")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out.String())
	}
	t.Logf("npm ci took %v", time.Since(start).Round(time.Millisecond))
}

// installStale reports whether dir's node_modules is missing or older than
// its package.json or package-lock.json, and why.
func installStale(dir string) (bool, string) {
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return true, "no node_modules/.package-lock.json"
	}
	if err != nil {
		return true, err.Error()
	}
	for _, f := range []string{"package.json", "package-lock.json"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			return true, err.Error()
		}
		if st.ModTime().After(installed.ModTime()) {
			return true, f + " is newer than node_modules"
		}
	}
	return false, ""
}

// childEnv is the environment of the bot: the test's own, without any
// OTEL_ or proxy settings, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		uk := strings.ToUpper(k)
		if strings.HasPrefix(uk, "OTEL_") || strings.HasSuffix(uk, "_PROXY") || uk == "DISCORD_TOKEN" || uk == "DISCORD_API" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// lockedBuffer is an io.Writer safe for the two pipes of a child process.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestModule runs the module's own unit tests (test/*.test.js) with node's
// test runner.
func TestModule(t *testing.T) {
	node, npm := nodeTools(t)
	npmCI(t, npm)
	files, err := filepath.Glob(filepath.Join("test", "*.test.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test/*.test.js (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"--test"}, files...)...)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", strings.Join(files, " "), err, out)
	}
}

func TestNodeVersionOK(t *testing.T) {
	for v, want := range map[string]bool{
		"v18.18.2": false, "v18.19.0": true, "v18.20.4": true, "v20.20.2": true, "v22.1.0": true,
		"v16.20.0": false, "v100.0.0": true, "18.19.0": false, "": false,
	} {
		if got := nodeVersionOK(v); got != want {
			t.Errorf("nodeVersionOK(%q) = %v, want %v", v, got, want)
		}
	}
}
