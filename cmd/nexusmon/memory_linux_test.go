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

// pages returns how many pages of the ranges are mapped in this process
// (/proc/self/pagemap's present bit) and how many are in the page cache
// (mincore).
func pages(t *testing.T, ranges [][2]uintptr) (mapped, cached int) {
	t.Helper()
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	const page = 4096
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
		vec := make([]byte, n)
		if _, _, errno := syscall.Syscall(syscall.SYS_MINCORE, r[0], r[1]-r[0], uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
			t.Fatalf("mincore: %v", errno)
		}
		for _, v := range vec {
			cached += int(v & 1)
		}
	}
	return mapped, cached
}

// TestReleaseStartupPages: the executable's read-only pages leave this
// process's resident set and stay in the page cache, so the ones still in
// use come back without I/O (MADV_PAGEOUT evicted them from the cache).
func TestReleaseStartupPages(t *testing.T) {
	// A test binary is written moments before it runs: its dirty pages
	// would stay in the page cache whatever the advice. Write them back.
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if err := exe.Sync(); err != nil {
		t.Fatal(err)
	}
	exe.Close()
	ranges := exeMappings(t)
	mapped0, cached0 := pages(t, ranges)
	releaseStartupPages(slog.New(slog.DiscardHandler))
	mapped1, cached1 := pages(t, ranges)
	t.Logf("mapped %d → %d pages, in the page cache %d → %d", mapped0, mapped1, cached0, cached1)
	if mapped0 < 100 {
		t.Skipf("only %d pages mapped before", mapped0)
	}
	if mapped1 > mapped0/2 {
		t.Errorf("%d of %d pages still mapped, want at most half", mapped1, mapped0)
	}
	if cached1 < cached0*9/10 {
		t.Errorf("%d of %d pages left in the page cache, want at least 90 %%", cached1, cached0)
	}
}
