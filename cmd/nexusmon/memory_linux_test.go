package main

import (
	"bufio"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
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
// process's resident set; the ones still in use come back on their own.
func TestReleaseStartupPages(t *testing.T) {
	// A test binary is written moments before it runs, and MADV_PAGEOUT
	// cannot reclaim a dirty page: write them back first.
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if err := exe.Sync(); err != nil {
		t.Fatal(err)
	}
	exe.Close()
	ranges := exeMappings(t)
	mapped0 := mappedPages(t, ranges)
	releaseStartupPages(slog.New(slog.DiscardHandler))
	mapped1 := mappedPages(t, ranges)
	t.Logf("mapped %d → %d pages", mapped0, mapped1)
	if mapped0 < 100 {
		t.Skipf("only %d pages mapped before", mapped0)
	}
	if mapped1 > mapped0/2 {
		t.Errorf("%d of %d pages still mapped, want at most half", mapped1, mapped0)
	}
}
