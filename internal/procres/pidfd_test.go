package procres

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
)

// openFDs counts the descriptors of this process.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// TestWatcher_noFDLeft: the Watcher holds a descriptor (a pidfd) of the
// process it watches at most, whichever way its provider ends: replaced
// by a restart, by the pid file going missing, or by Shutdown; and none
// once the process exited.
func TestWatcher_noFDLeft(t *testing.T) {
	// Not parallel: other tests' descriptors would move the count.
	health, agentReader := metrictest.NewProvider(t)
	pidFile := filepath.Join(t.TempDir(), "bot.pid")
	w, err := New(Options{PIDFile: pidFile, Health: health})
	if err != nil {
		t.Fatal(err)
	}
	collectOnce(t, w, agentReader) // no pid file yet
	before := openFDs(t)
	for i := range 10 {
		child := startChild(t)
		writePID(t, pidFile, child.Process.Pid)
		started := openFDs(t) // os/exec may hold a pidfd of the child too
		collectOnce(t, w, agentReader)
		if n := openFDs(t); n > started+1 {
			t.Fatalf("restart %d: %d descriptors, %d before the collection: more than a pidfd", i, n, started)
		}
		kill(child)
		collectOnce(t, w, agentReader) // the process exited: its pidfd is closed
		if n := openFDs(t); n != before {
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
	if err := os.Remove(pidFile); err != nil {
		t.Fatal(err)
	}
	collectOnce(t, w, agentReader)
	kill(a)
	kill(b)
	if n := openFDs(t); n != before {
		t.Errorf("%d descriptors after providers replaced while their process ran, %d before", n, before)
	}
	// Shutdown while the process runs.
	writePID(t, pidFile, startChild(t).Process.Pid)
	started := openFDs(t)
	collectOnce(t, w, agentReader)
	if err := w.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t); n != started {
		t.Errorf("%d descriptors after Shutdown, %d before the last collection", n, started)
	}
}
