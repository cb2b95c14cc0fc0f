// Package nodetest runs Node.js programs from tests, for the discord.js
// example (examples/discordjs) and the tests that run its bot.
//
// Tools finds node and npm; without them (or with a Node.js older than
// 18.19) the test is skipped, or fails when the environment variable CI is
// set, saying what is missing either way. NpmCI installs a package's locked
// dependencies only when they are missing or older than its package.json or
// package-lock.json, so installs are cached between runs (make node-deps
// does the same ahead of make test). Start runs a script as a child process
// whose output is logged when the test fails.
package nodetest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Node returns the path of node, 18.19 or later; without it the test
// fails under CI and skips otherwise, naming make node-deps.
func Node(t testing.TB) string {
	t.Helper()
	var problem string
	node, err := exec.LookPath("node")
	if err != nil {
		problem = "node not found in PATH"
	} else if v, err := exec.Command(node, "--version").Output(); err != nil {
		problem = fmt.Sprintf("%s --version: %v", node, err)
	} else if !VersionOK(strings.TrimSpace(string(v))) {
		problem = fmt.Sprintf("%s is Node.js %s", node, strings.TrimSpace(string(v)))
	}
	if problem != "" {
		msg := problem + ": the discord.js example needs Node.js 18.19 or later (make node-deps installs Debian's nodejs and npm, as root)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

// VersionOK reports whether v, as node --version prints it ("v20.11.1"),
// is 18.19 or later.
func VersionOK(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "v%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 18 || (major == 18 && minor >= 19)
}

// RequireModules stops the test when dir's node_modules is missing or
// older than its package.json or package-lock.json: it fails under CI and
// skips otherwise, naming make node-deps, which installs them. A test never
// runs npm itself, since npm ci reaches the npm registry and no test may
// reach beyond loopback.
func RequireModules(t testing.TB, dir string) {
	t.Helper()
	stale, why := Stale(dir)
	if !stale {
		return
	}
	msg := fmt.Sprintf("%s: node modules not installed (%s): run make node-deps", dir, why)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Stale reports whether dir's node_modules is missing or older than its
// package.json or package-lock.json, and why.
func Stale(dir string) (bool, string) {
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

// Env is the environment for a child process: the test's own without any
// OTEL_ or proxy settings or DISCORD_TOKEN and DISCORD_API, plus extra.
func Env(extra ...string) []string {
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

// Process is a running node script.
type Process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan error
}

// Start runs node with args in dir and environment env. t.Cleanup kills it
// when it still runs and logs its output when the test failed.
func Start(t testing.TB, node, dir string, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(node, args...)
	cmd.Dir, cmd.Env = dir, env
	p := &Process{cmd: cmd, out: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %s: %v", strings.Join(args, " "), err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-p.done:
			p.done <- err
		default:
			_ = cmd.Process.Kill() // the test ended before stopping it
			<-p.done
		}
		if t.Failed() {
			t.Logf("node %s output:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output is what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Stop sends SIGTERM and waits up to 30 s for the process to exit 0.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal node: %v", err)
	}
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("node exited: %v\n%s", err, p.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("node did not exit within 30 s of SIGTERM\n%s", p.out.String())
	}
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
