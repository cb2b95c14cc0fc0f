package process

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/procfs"
)

// procLinks lists the descriptors of this process open on files of
// /proc/PID (their link targets).
func procLinks(t *testing.T, pid int) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	prefix := "/proc/" + strconv.Itoa(pid) + "/"
	var links []string
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && strings.HasPrefix(l, prefix) {
			links = append(links, l)
		}
	}
	return links
}

// keptFiles returns the collector's kept stat File and fd directory.
func keptFiles(c *Collector) (*procfs.File, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stat, c.fdDirFD
}

// The files the collector keeps open are bound to their process: once it
// is gone and reaped, a read fails with ESRCH, whoever has the pid now,
// and classify calls that not running.
func TestKeptFile_deadProcess(t *testing.T) {
	t.Parallel()
	child := startChild(t)
	f, err := procfs.OpenFile("/proc/" + strconv.Itoa(child.Process.Pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // test file
	var buf []byte
	if _, err := f.ReadInto(&buf); err != nil {
		t.Fatal(err)
	}
	kill(t, child)
	_, err = f.ReadInto(&buf)
	if !errors.Is(err, syscall.ESRCH) || classify(err) != stateNotRunning {
		t.Errorf("read of a reaped process's stat: %v (%s), want ESRCH, not running", err, classify(err))
	}
}

// TestCollector_keepsFilesOpen: collections of this process read the
// same kept stat and fd directory, and the directory, rewound, lists the
// descriptors open now.
func TestCollector_keepsFilesOpen(t *testing.T) {
	// Not parallel: other tests' descriptors would move the count.
	c, collectNow := startCollector(t, Options{})
	fdCount := func() float64 {
		t.Helper()
		v, ok := metrictest.Value(metrictest.Find(t, collectNow(), names.ScopeProcess, names.ProcessOpenFDs))
		if !ok {
			t.Fatal("no descriptor count")
		}
		return v
	}
	before := fdCount()
	stat, dir := keptFiles(c)
	if stat == nil || dir < 0 {
		t.Fatalf("kept stat %v, fd directory %d after a collection: want both open", stat, dir)
	}
	if got := len(procLinks(t, os.Getpid())); got != 3 {
		t.Errorf("%d descriptors on /proc/%d, want 3 (stat, statm, fd)", got, os.Getpid())
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	if got := fdCount(); got != before+2 {
		t.Errorf("descriptors %v with a pipe open, %v before: the kept directory is stale", got, before)
	}
	for _, fd := range p {
		if err := syscall.Close(fd); err != nil {
			t.Fatal(err)
		}
	}
	if got := fdCount(); got != before {
		t.Errorf("descriptors %v with the pipe closed, %v before", got, before)
	}
	if s, d := keptFiles(c); s != stat || d != dir {
		t.Errorf("kept files replaced between collections of a running process: %p, %d; were %p, %d", s, d, stat, dir)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if links := procLinks(t, os.Getpid()); len(links) != 0 {
		t.Errorf("after Stop, still open: %q", links)
	}
}

// The watched process exits: the collection reports it not running and
// the collector holds nothing of it; a collector stopped while its
// process runs holds nothing either.
func TestCollector_filesOfExitedProcess(t *testing.T) {
	t.Parallel()
	child := startChild(t)
	pid := child.Process.Pid
	c, collectNow := startCollector(t, Options{PID: pid})
	waitState(t, collectNow, pid, "sleeping")
	if links := procLinks(t, pid); len(links) != 3 {
		t.Errorf("following pid %d: descriptors on %q, want stat, statm, fd", pid, links)
	}
	kill(t, child)
	assertGone(t, collectNow(), pid, StateNotFound)
	if links := procLinks(t, pid); len(links) != 0 {
		t.Errorf("pid %d exited: still open %q", pid, links)
	}
	if s, d := keptFiles(c); s != nil || d >= 0 {
		t.Errorf("pid %d exited: kept stat %p, fd directory %d", pid, s, d)
	}

	other := startChild(t)
	oc, collectOther := startCollector(t, Options{PID: other.Process.Pid})
	waitState(t, collectOther, other.Process.Pid, "sleeping")
	if err := oc.Stop(); err != nil {
		t.Fatal(err)
	}
	if links := procLinks(t, other.Process.Pid); len(links) != 0 {
		t.Errorf("collector stopped: still open %q", links)
	}
}
