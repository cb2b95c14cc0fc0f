package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// threadSlack returns the timer slack of the calling thread.
func threadSlack(t *testing.T) uintptr {
	t.Helper()
	v, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetTimerSlack, 0, 0)
	if errno != 0 {
		t.Fatalf("prctl(PR_GET_TIMERSLACK): %v", errno)
	}
	return v
}

// startDaemon starts bin run on loopback-only settings in dir with the
// extra environment, from a thread whose timer slack is slack (0: the
// test's own), waits until it answers /healthz and returns it; it is
// killed when the test ends.
func startDaemon(t *testing.T, bin, dir string, slack uintptr, env ...string) *exec.Cmd {
	t.Helper()
	addr := freeLoopbackAddr(t)
	cfg := filepath.Join(dir, "nexusmon.yaml")
	body := fmt.Sprintf("storage: {path: %q}\noutput: {jsonl: %q, console: \"off\"}\nhttp: {listen: %q}\nprobes: {discord_api: \"\", internet: []}\n",
		filepath.Join(dir, "n.db"), filepath.Join(dir, "e.jsonl"), addr)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_SDK_DISABLED=", "DISCORD_TOKEN=", "DISCORD_WEBHOOK_URL=", timerSlackEnv+"=")
	cmd.Env = append(cmd.Env, env...)
	func() {
		// The child is forked from this thread and inherits its slack.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if slack != 0 {
			old := threadSlack(t)
			if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, slack, 0); errno != 0 {
				t.Fatalf("prctl(PR_SET_TIMERSLACK): %v", errno)
			}
			defer syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, old, 0) //nolint:errcheck
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // the test is over
		cmd.Wait()         //nolint:errcheck
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// perThread returns the content of file in /proc/TID/ (timerslack_ns is
// there only, not under /proc/PID/task/TID/) for every thread of pid,
// without its trailing newline.
func perThread(t *testing.T, pid int, file string) []string {
	t.Helper()
	tids, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tid := range tids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%s/%s", tid.Name(), file))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSuffix(string(b), "\n"))
	}
	return out
}

// slacks returns the timer slack of every thread of pid.
func slacks(t *testing.T, pid int) []uintptr {
	t.Helper()
	var out []uintptr
	for _, s := range perThread(t, pid, "timerslack_ns") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, uintptr(v))
	}
	return out
}

// TestRun_timerSlack runs the built daemon: every one of its threads,
// the runtime's own included, runs with daemonTimerSlack (raised by
// re-executing itself under the same pid), a larger inherited slack is
// kept, and a process marked as re-executed is not re-executed again.
func TestRun_timerSlack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := os.Stat("/proc/self/timerslack_ns"); err != nil {
		t.Skipf("no timerslack_ns: %v", err)
	}
	bin := buildNexusmon(t, t.TempDir())
	runtime.LockOSThread()
	own := threadSlack(t)
	runtime.UnlockOSThread()
	if own >= daemonTimerSlack {
		t.Skipf("this test's slack is already %d ns", own)
	}
	for _, tc := range []struct {
		name   string
		slack  uintptr // the parent's; 0: the test's
		env    []string
		want   uintptr
		marked bool // the environment holds timerSlackEnv: re-executed, or set by the parent
	}{
		{"raised", 0, nil, daemonTimerSlack, true},
		{"larger kept", 3 * daemonTimerSlack, nil, 3 * daemonTimerSlack, false},
		{"not re-executed twice", 0, []string{timerSlackEnv + "=nexusmon"}, own, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := startDaemon(t, bin, t.TempDir(), tc.slack, tc.env...)
			// ps, top and pgrep find it under its own name, not "exe".
			for i, name := range perThread(t, cmd.Process.Pid, "comm") {
				if name != "nexusmon" {
					t.Errorf("thread %d named %q, want nexusmon", i, name)
				}
			}
			got := slacks(t, cmd.Process.Pid)
			if len(got) < 2 {
				t.Fatalf("%d threads, want the runtime's and the agent's", len(got))
			}
			for i, s := range got {
				if s != tc.want {
					t.Errorf("thread %d of %d: slack %d ns, want %d", i, len(got), s, tc.want)
				}
			}
			env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", cmd.Process.Pid))
			if err != nil {
				t.Fatal(err)
			}
			if marked := strings.Contains(string(env), timerSlackEnv+"=nexusmon"); marked != tc.marked {
				t.Errorf("environment marked %v, want %v", marked, tc.marked)
			}
		})
	}
}
