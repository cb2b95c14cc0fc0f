package process

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// startDistinct starts a sleep whose start time differs from ticks (a
// process started in the same clock tick is started again).
func startDistinct(t *testing.T, ticks uint64) *exec.Cmd {
	t.Helper()
	for {
		cmd := startChild(t)
		id, err := NewIdentifier("").Identify(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if id.StartTicks != ticks {
			return cmd
		}
		kill(t, cmd)
	}
}

// TestIdentifier_pidfd: a running process opened under /proc has a pidfd,
// and Changed asks it, not the start time: while the process runs nothing
// changed, even with another process's start time under its pid (the pid
// is rewritten to a second child's to stand for a reuse); once it exits,
// the start time under the pid is compared: another process's is a
// change, no process is not.
func TestIdentifier_pidfd(t *testing.T) {
	t.Parallel()
	first := startChild(t)
	r := NewIdentifier("/proc")
	h, err := r.Open(first.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !h.hasPIDFD {
		t.Skip("no pidfd_open here: TestIdentifier_startTime covers the fallback")
	}
	if h.StartTicks == 0 || h.ExecutableName != "sleep" {
		t.Fatalf("Open = %+v", h.Identity)
	}
	if r.Changed(h) {
		t.Error("a running process changed")
	}
	second := startDistinct(t, h.StartTicks)
	// The pid now names another process.
	h.PID, h.stat = second.Process.Pid, "/proc/"+strconv.Itoa(second.Process.Pid)+"/stat"
	if r.Changed(h) {
		t.Error("Changed read the start time while the pidfd says the process runs")
	}
	kill(t, first)
	if !r.Changed(h) {
		t.Error("the process exited and its pid names another: not changed")
	}
	if h.hasPIDFD {
		t.Error("the pidfd of an exited process is kept")
	}
	kill(t, second)
	if r.Changed(h) {
		t.Error("a pid without a process changed")
	}
}

// TestIdentifier_startTime is the fallback without a pidfd (a proc root
// that is not /proc): Changed compares the start time under the pid.
func TestIdentifier_startTime(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	r := NewIdentifier(proc)
	h, err := r.Open(42)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.hasPIDFD || h.Identity != (Identity{PID: 42, StartTicks: 12345, ExecutableName: "bot"}) {
		t.Fatalf("Open = %+v, pidfd %v", h.Identity, h.hasPIDFD)
	}
	if r.Changed(h) {
		t.Error("the same process changed")
	}
	writeFiles(t, proc, map[string]string{"42/stat": "42 (bot) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 99999 1000 100 0 0 0\n"})
	if !r.Changed(h) {
		t.Error("another start time under the pid: not changed")
	}
	if err := os.Remove(proc + "/42/stat"); err != nil {
		t.Fatal(err)
	}
	if r.Changed(h) {
		t.Error("a pid without a process changed")
	}
}

// TestIdentifier_self: the calling process is identified, never changes
// and needs no pidfd.
func TestIdentifier_self(t *testing.T) {
	t.Parallel()
	r := NewIdentifier("/proc")
	h, err := r.Open(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.StartTicks == 0 || h.hasPIDFD || r.Changed(h) {
		t.Errorf("Open(self) = %+v, pidfd %v", h.Identity, h.hasPIDFD)
	}
}

// TestNewIdentifier_hostProc: $HOST_PROC is read once, by NewIdentifier.
func TestNewIdentifier_hostProc(t *testing.T) {
	proc := fixtureProc(t)
	t.Setenv("HOST_PROC", proc)
	r := NewIdentifier("")
	t.Setenv("HOST_PROC", t.TempDir())
	if id, err := r.Identify(42); err != nil || id.StartTicks != 12345 {
		t.Errorf("Identify(42) = %+v, %v; want pid 42 of %s", id, err, proc)
	}
}

// TestIdentifier_ReadPIDFile reads a pid file again and again through the
// Identifier's buffer: a shorter content leaves nothing of the longer one.
func TestIdentifier_ReadPIDFile(t *testing.T) {
	t.Parallel()
	r := NewIdentifier("")
	p := filepath.Join(t.TempDir(), "bot.pid")
	if _, err := r.ReadPIDFile(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing pid file: %v, want not exist", err)
	}
	for _, c := range []struct {
		content string
		pid     int
	}{{" 4242\n", 4242}, {"7\n", 7}, {"", 0}, {"31\nextra\n", 31}} {
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		pid, err := r.ReadPIDFile(p)
		if pid != c.pid || (err != nil) != (c.pid == 0) {
			t.Errorf("ReadPIDFile(%q) = %d, %v; want %d", c.content, pid, err, c.pid)
		}
	}
}
