package procres

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
)

// procLinks counts the descriptors of this process open on files of
// /proc/PID: the collector keeps stat, statm and fd of the process it
// follows.
func procLinks(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && strings.HasPrefix(l, "/proc/"+strconv.Itoa(pid)+"/") {
			n++
		}
	}
	return n
}

// TestWatcher_noFDLeft: the Watcher holds four descriptors of the process
// it watches at most (a pidfd, and the collector's /proc/PID/stat, statm
// and fd directory), whichever way its provider ends: replaced by a
// restart, by the pid file going missing, or by Shutdown; and none once
// the process exited.
func TestWatcher_noFDLeft(t *testing.T) {
	// Not parallel: other tests' descriptors would move the count.
	health, agentReader := metrictest.NewProvider(t)
	pidFile := filepath.Join(t.TempDir(), "bot.pid")
	w, err := New(Options{PIDFile: pidFile, Health: health})
	if err != nil {
		t.Fatal(err)
	}
	collectOnce(t, w, agentReader) // no pid file yet
	before := metrictest.OpenFDs(t)
	for i := range 10 {
		child := startChild(t)
		writePID(t, pidFile, child.Process.Pid)
		started := metrictest.OpenFDs(t) // os/exec may hold a pidfd of the child too
		collectOnce(t, w, agentReader)
		if n := metrictest.OpenFDs(t); n > started+4 {
			t.Fatalf("restart %d: %d descriptors, %d before the collection: more than a pidfd and the collector's stat, statm and fd directory", i, n, started)
		}
		if n := procLinks(t, child.Process.Pid); n != 3 {
			t.Errorf("restart %d: %d descriptors on /proc/%d, want 3 (stat, statm, fd)", i, n, child.Process.Pid)
		}
		kill(child)
		collectOnce(t, w, agentReader) // the process exited: its pidfd is closed
		if n := metrictest.OpenFDs(t); n != before {
			t.Fatalf("restart %d: %d descriptors once the process exited, %d before the first", i, n, before)
		}
		if i%3 == 2 {
			if err := os.Remove(pidFile); err != nil {
				t.Fatal(err)
			}
			collectOnce(t, w, agentReader) // no pid: no provider
		}
	}
	// Providers replaced while their process runs: by another pid, then
	// by no pid.
	a, b := startChild(t), startChild(t)
	writePID(t, pidFile, a.Process.Pid)
	collectOnce(t, w, agentReader)
	writePID(t, pidFile, b.Process.Pid)
	collectOnce(t, w, agentReader)
	if na, nb := procLinks(t, a.Process.Pid), procLinks(t, b.Process.Pid); na != 0 || nb != 3 {
		t.Errorf("pid %d replaced by %d: %d descriptors on the old /proc/PID, %d on the new; want 0 and 3",
			a.Process.Pid, b.Process.Pid, na, nb)
	}
	if err := os.Remove(pidFile); err != nil {
		t.Fatal(err)
	}
	collectOnce(t, w, agentReader)
	kill(a)
	kill(b)
	if n := metrictest.OpenFDs(t); n != before {
		t.Errorf("%d descriptors after providers replaced while their process ran, %d before", n, before)
	}
	// Shutdown while the process runs.
	writePID(t, pidFile, startChild(t).Process.Pid)
	started := metrictest.OpenFDs(t)
	collectOnce(t, w, agentReader)
	if err := w.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := metrictest.OpenFDs(t); n != started {
		t.Errorf("%d descriptors after Shutdown, %d before the last collection", n, started)
	}
}
