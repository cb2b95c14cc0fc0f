package host

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
)

// The files of every collection stay open and are read again from the
// start, so a rewrite shows; the ones read once a minute are not kept.
func TestPSReader_keepsFilesOpen(t *testing.T) {
	t.Parallel()
	proc := t.TempDir()
	writeTree(t, proc, map[string]string{"loadavg": "0.50 1.25 2.00 1/100 1234\n", "cpuinfo": "processor\t: 0\n"})
	r := newPSReader(proc, t.TempDir())
	defer r.close()
	if b, err := r.readProc("loadavg"); err != nil || string(b) != "0.50 1.25 2.00 1/100 1234\n" {
		t.Fatalf("loadavg: %q, %v", b, err)
	}
	kept := r.files["loadavg"]
	if kept == nil {
		t.Fatal("loadavg is not kept open")
	}
	writeTree(t, proc, map[string]string{"loadavg": "9.00 1.25 2.00 1/100 1234\n"}) // the same inode, rewritten
	if b, err := r.readProc("loadavg"); err != nil || string(b) != "9.00 1.25 2.00 1/100 1234\n" {
		t.Errorf("loadavg after a rewrite: %q, %v", b, err)
	}
	if r.files["loadavg"] != kept {
		t.Error("loadavg was opened again although its kept file reads")
	}
	if _, err := r.readProc("cpuinfo"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.files["cpuinfo"]; ok {
		t.Error("cpuinfo, read once a minute, is kept open")
	}
}

// A kept file that no longer reads (closed underneath here) is opened
// again within the same read; one that cannot be opened again is an error
// and is not kept, until it is back.
func TestPSReader_reopens(t *testing.T) {
	t.Parallel()
	proc := t.TempDir()
	writeTree(t, proc, map[string]string{"net/dev": "first\n"})
	r := newPSReader(proc, t.TempDir())
	defer r.close()
	if _, err := r.readProc("net/dev"); err != nil {
		t.Fatal(err)
	}
	old := r.files["net/dev"]
	_ = old.Close()
	writeTree(t, proc, map[string]string{"net/dev": "second\n"})
	if b, err := r.readProc("net/dev"); err != nil || string(b) != "second\n" {
		t.Fatalf("net/dev after its file was closed: %q, %v; want it opened again", b, err)
	}
	if f := r.files["net/dev"]; f == nil || f == old {
		t.Errorf("kept file %p after the reopen, was %p", f, old)
	}

	_ = r.files["net/dev"].Close()
	if err := os.Remove(filepath.Join(proc, "net/dev")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.readProc("net/dev"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("net/dev removed: %v, want fs.ErrNotExist", err)
	}
	if _, ok := r.files["net/dev"]; ok {
		t.Error("a file that failed to open is kept")
	}
	writeTree(t, proc, map[string]string{"net/dev": "third\n"})
	if b, err := r.readProc("net/dev"); err != nil || string(b) != "third\n" {
		t.Errorf("net/dev back: %q, %v", b, err)
	}
}

// The Collector holds the five files of every collection between
// collections and none once stopped: starting and stopping it again (an
// agent restarted in the same process, as tests do) leaves nothing open.
func TestCollector_noFDLeft(t *testing.T) {
	// Not parallel: other tests' descriptors would move the count.
	if goruntime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before := metrictest.OpenFDs(t)
	for i := range 3 {
		mp, mr := metrictest.NewProvider(t)
		c, err := Start(mp, Options{})
		if err != nil {
			t.Fatal(err)
		}
		metrictest.Collect(t, mr)
		metrictest.Collect(t, mr)
		if n, kept := metrictest.OpenFDs(t), len(c.r.(*psReader).files); kept != 5 || n != before+kept {
			t.Errorf("run %d: %d descriptors with %d files kept open, %d before; want 5 kept", i, n, kept, before)
		}
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		metrictest.Collect(t, mr)
		if n := metrictest.OpenFDs(t); n != before {
			t.Fatalf("run %d: %d descriptors after Stop, %d before Start", i, n, before)
		}
	}
}
