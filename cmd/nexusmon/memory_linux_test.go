package main

import (
	"bufio"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// exeMappings returns the address ranges of this executable's read-only
// mappings, as releaseStartupPages selects them.
func exeMappings(t *testing.T) [][2]uintptr {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != exe || strings.Contains(fs[1], "w") {
			continue
		}
		lo, hi, _ := strings.Cut(fs[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("maps line %q", sc.Text())
		}
		out = append(out, [2]uintptr{uintptr(a), uintptr(b)})
	}
	if len(out) == 0 {
		t.Fatal("no read-only mapping of the executable")
	}
	return out
}

// mappedPages returns how many pages of the ranges are mapped in this
// process (/proc/self/pagemap's present bit).
func mappedPages(t *testing.T, ranges [][2]uintptr) int {
	t.Helper()
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	const page = 4096
	mapped := 0
	for _, r := range ranges {
		n := int((r[1] - r[0]) / page)
		buf := make([]byte, 8*n)
		if _, err := pm.ReadAt(buf, int64(r[0]/page*8)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if buf[8*i+7]&0x80 != 0 { // bit 63: present
				mapped++
			}
		}
	}
	return mapped
}

// TestReleaseStartupPages: the executable's read-only pages leave this
// process's resident set. The executable is mapped once more, read-only,
// and every page of that mapping read: releaseStartupPages takes it as one
// of the executable's mappings, and nothing else touches it afterwards.
func TestReleaseStartupPages(t *testing.T) {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	// A test binary is written moments before it runs, and MADV_PAGEOUT
	// cannot reclaim a dirty page: write them back first.
	if err := exe.Sync(); err != nil {
		t.Fatal(err)
	}
	st, err := exe.Stat()
	if err != nil {
		t.Fatal(err)
	}
	data, err := syscall.Mmap(int(exe.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(data) //nolint:errcheck // the test is over
	// MADV_PAGEOUT leaves a page mapped twice alone: first release what
	// the running executable's own mappings hold, as main does at start.
	releaseStartupPages(slog.New(slog.DiscardHandler))
	var sum byte
	for i := 0; i < len(data); i += 4096 {
		sum += data[i]
	}
	start := uintptr(unsafe.Pointer(&data[0]))
	ours := [][2]uintptr{{start, start + uintptr(len(data)+4095)&^4095}}
	found := false
	for _, r := range exeMappings(t) {
		found = found || r == ours[0]
	}
	if !found {
		t.Fatal("the second mapping is not among the executable's read-only mappings")
	}
	mapped0 := mappedPages(t, ours)
	releaseStartupPages(slog.New(slog.DiscardHandler))
	mapped1 := mappedPages(t, ours)
	t.Logf("mapped %d → %d pages of %d (checksum %d)", mapped0, mapped1, (len(data)+4095)/4096, sum)
	if mapped0 < (len(data)+4095)/4096*9/10 {
		t.Fatalf("only %d pages mapped after reading all", mapped0)
	}
	// Pages the running code maps again meanwhile are mapped twice and
	// left alone.
	if mapped1 > mapped0/4 {
		t.Errorf("%d of %d pages still mapped, want at most a quarter", mapped1, mapped0)
	}
}

// cachedPages returns how many pages of data, a mapping of a file, are in
// the page cache (mincore), whether or not this process maps them.
func cachedPages(t *testing.T, data []byte) int {
	t.Helper()
	vec := make([]byte, (len(data)+4095)/4096)
	if _, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)),
		uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestDropCachedPages: the pages of a file that are cached but mapped by
// no one leave the page cache (read ahead by the kernel, fault-around
// would map them back around the agent's next faults); a page mapped and
// touched stays.
func TestDropCachedPages(t *testing.T) {
	// Not t.TempDir's tmpfs, where the cache is the file: a directory on
	// the disk the package is on.
	dir, err := os.MkdirTemp(".", "cached-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := dir + "/file"
	const size = 16 << 20
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil { // a dirty page cannot be dropped
		t.Fatal(err)
	}
	if _, err := f.ReadAt(make([]byte, size), 0); err != nil { // every page cached
		t.Fatal(err)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(data) //nolint:errcheck // the test is over
	sum := data[0]             // the first page mapped
	before := cachedPages(t, data)
	if err := dropCachedPages(path); err != nil {
		t.Fatal(err)
	}
	after := cachedPages(t, data)
	t.Logf("cached %d → %d pages of %d (first byte %d)", before, after, len(data)/4096, sum)
	if before < len(data)/4096*9/10 {
		t.Fatalf("only %d of %d pages cached after reading the file", before, len(data)/4096)
	}
	// The page touched stays, with the rest of its folio (ext4 caches
	// large folios: up to 2 MiB here).
	if after > before/4 || after < 1 {
		t.Errorf("%d pages cached after the drop, want the mapped one's folio and at most a quarter of %d", after, before)
	}
	if err := dropCachedPages(dir + "/missing"); err == nil {
		t.Error("dropCachedPages of a missing file: no error")
	}
}
