package procfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// A File read again sees what its file holds now, not what it held when
// it was opened or last read: shorter, longer (past the initial buffer)
// and rewritten content.
func TestFile_ReadInto(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil { // truncates: the same inode
			t.Fatal(err)
		}
	}
	write("first version\n")
	f, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // test file
	if f.Path() != p {
		t.Errorf("Path() = %q, want %q", f.Path(), p)
	}
	var buf []byte
	big := strings.Repeat("0123456789abcdef", 1000) // larger than the initial buffer
	for _, want := range []string{"first version\n", "2nd\n", big, "short again"} {
		write(want)
		got, err := f.ReadInto(&buf)
		if err != nil || string(got) != want {
			t.Fatalf("read %d bytes (%.20q), %v; want %d bytes (%.20q)", len(got), got, err, len(want), want)
		}
		// Twice: the second read starts at offset 0 again.
		if got, err := f.ReadInto(&buf); err != nil || string(got) != want {
			t.Fatalf("second read: %d bytes, %v; want %d", len(got), err, len(want))
		}
	}
}

func TestFile_errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := OpenFile(filepath.Join(dir, "missing"))
	var pe *PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" || pe.Path != filepath.Join(dir, "missing") {
		t.Errorf("missing file: %v, want an open *PathError wrapping ENOENT", err)
	}

	// A directory opens but does not read.
	d, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	_, err = d.ReadInto(&buf)
	if !errors.As(err, &pe) || pe.Op != "read" || pe.Path != dir || !errors.Is(err, syscall.EISDIR) {
		t.Errorf("reading a directory: %v, want a read *PathError wrapping EISDIR", err)
	}

	// A closed File fails without touching its old descriptor number,
	// which another file may have by now.
	for range 2 { // Close is idempotent
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	_, err = d.ReadInto(&buf)
	if !errors.As(err, &pe) || pe.Op != "read" || !errors.Is(err, syscall.EBADF) {
		t.Errorf("reading a closed File: %v, want a read *PathError wrapping EBADF", err)
	}
}

// statmSize returns the first field of /proc/self/statm (total program
// size, in pages).
func statmSize(t *testing.T, b []byte) uint64 {
	t.Helper()
	f := Fields(b, nil)
	if len(f) < 7 {
		t.Fatalf("statm %q: %d fields", b, len(f))
	}
	n, err := ParseUint(f[0])
	if err != nil {
		t.Fatalf("statm %q: %v", b, err)
	}
	return n
}

// The proc files nexusmon keeps open are seq_files: a pread at offset 0
// runs their show function again. If the kernel (or a wrapper) served the
// content cached at open or at the last read, a kept File would report
// the process as it was: this mapping of 64 MiB would not show.
func TestFile_procIsFresh(t *testing.T) {
	f, err := OpenFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close() //nolint:errcheck // test file
	var buf []byte
	b, err := f.ReadInto(&buf)
	if err != nil {
		t.Fatal(err)
	}
	before := statmSize(t, b)

	const size = 64 << 20
	pages := uint64(size / os.Getpagesize())
	m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = f.ReadInto(&buf); err != nil {
		t.Fatal(err)
	}
	mapped := statmSize(t, b)
	if err := syscall.Munmap(m); err != nil {
		t.Fatal(err)
	}
	// The Go runtime reserves address space but does not return it: the
	// size moves by the mapping, up by at least, down by at least.
	if mapped < before+pages {
		t.Errorf("statm size %d pages after mapping %d more, was %d: the kept file is stale", mapped, pages, before)
	}
	if b, err = f.ReadInto(&buf); err != nil {
		t.Fatal(err)
	}
	if after := statmSize(t, b); after+pages > mapped {
		t.Errorf("statm size %d pages after unmapping %d, was %d: the kept file is stale", after, pages, mapped)
	}
}

// A kept /proc/thread-self/status counts the voluntary context switches
// of this thread made after it was opened: sleeping in nanosleep is one.
func TestFile_procStatusIsFresh(t *testing.T) {
	runtime.LockOSThread() // thread-self is this goroutine's thread until the end
	defer runtime.UnlockOSThread()
	f, err := OpenFile("/proc/thread-self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close() //nolint:errcheck // test file
	var buf []byte
	switches := func() uint64 {
		t.Helper()
		b, err := f.ReadInto(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for len(b) > 0 {
			var line []byte
			line, b = NextLine(b)
			if v, ok := bytes.CutPrefix(line, []byte("voluntary_ctxt_switches:")); ok {
				n, err := ParseUint(bytes.TrimSpace(v))
				if err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				return n
			}
		}
		t.Fatal("no voluntary_ctxt_switches in status")
		return 0
	}
	before := switches()
	for range 3 {
		ts := syscall.NsecToTimespec(1e6)
		if err := syscall.Nanosleep(&ts, nil); err != nil && err != syscall.EINTR {
			t.Fatal(err)
		}
	}
	if after := switches(); after <= before {
		t.Errorf("voluntary_ctxt_switches %d after sleeping, was %d: the kept file is stale", after, before)
	}
}

// With a warm buffer, reading a kept File allocates nothing.
func TestFile_noAlloc(t *testing.T) {
	f, err := OpenFile("/proc/self/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close() //nolint:errcheck // test file
	var buf []byte
	if _, err := f.ReadInto(&buf); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := f.ReadInto(&buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("File.ReadInto allocates %.0f times per read, want 0", allocs)
	}
}
