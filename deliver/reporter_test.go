package deliver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/report"
)

// Snapshot builders and Reporter helpers for the tests that run a Reporter
// into a Delivery (copies of report's test helpers, which other packages'
// tests cannot import).

func pt(scope string, v float64, kv ...string) report.Point {
	a := map[string]string{n.AttrScope: scope}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	return report.Point{Attrs: a, Start: reporttest.FixtureTime.Add(-time.Hour), Value: v}
}

const gib = 1 << 30

func addHost(s *report.Snapshot, busy, idle, memPct, diskPct float64) {
	h := n.ScopeHost
	for _, c := range []string{"0", "1"} {
		s.Add(n.SystemCPUTime, "s",
			pt(h, busy/2, n.AttrCPULogical, c, n.AttrCPUMode, "user"),
			pt(h, idle/2, n.AttrCPULogical, c, n.AttrCPUMode, "idle"))
	}
	s.Add(n.SystemCPULogicalCount, "{cpu}", pt(h, 2))
	total := 8.0 * gib
	avail := total * (1 - memPct/100)
	s.Add(n.SystemMemoryLimit, "By", pt(h, total))
	s.Add(n.SystemMemoryAvailable, "By", pt(h, avail))
	s.Add(n.SystemMemoryUsage, "By",
		pt(h, total-avail, n.AttrMemoryState, "used"), pt(h, avail/2, n.AttrMemoryState, "free"),
		pt(h, avail/4, n.AttrMemoryState, "cached"), pt(h, 64<<20, n.AttrMemoryState, "buffers"))
	s.Add(n.SystemPagingUsage, "By", pt(h, 0, n.AttrPagingState, "used"), pt(h, 2*gib, n.AttrPagingState, "free"))
	fs := []string{n.AttrMountpoint, "/", n.AttrDevice, "/dev/sda1", n.AttrFSType, "ext4"}
	s.Add(n.SystemFilesystemLimit, "By", pt(h, 100*gib, fs...))
	s.Add(n.SystemFilesystemUsage, "By",
		pt(h, diskPct*gib, append(slices.Clone(fs), n.AttrFSState, "used")...),
		pt(h, (100-diskPct)*gib, append(slices.Clone(fs), n.AttrFSState, "free")...))
}

func addRuntime(s *report.Snapshot, cycles, pauseSec, allocated, freed, heap float64) {
	r := n.ScopeRuntime
	s.Add(n.GoGCCycles, "{gc_cycle}", pt(r, cycles))
	s.Add(n.GoGCPauseTotal, "s", pt(r, pauseSec))
	s.Add(n.GoGCPauseLast, "s", pt(r, 0.00021))
	s.Add(n.GoMemoryAllocated, "By", pt(n.ScopeContribRuntime, allocated))
	s.Add(n.GoMemoryFreed, "By", pt(r, freed))
	s.Add(n.GoHeapAlloc, "By", pt(r, heap))
	s.Add(n.GoHeapObjects, "{object}", pt(r, 52000))
	s.Add(n.GoGoroutineCount, "{goroutine}", pt(n.ScopeContribRuntime, 37))
}

func bareSnapshot(at time.Time, memPct float64) *report.Snapshot {
	s := report.NewSnapshot(at, map[string]string{"host.name": "host-1"})
	addHost(s, 100, 900, memPct, 40)
	addRuntime(s, 10, 0.01, 10<<20, 8<<20, 4<<20)
	return s
}

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "nexusmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type alertLine struct {
	Event report.Kind      `json:"event"`
	Data  report.AlertData `json:"data"`
}

func alertEvents(t *testing.T, buf *bytes.Buffer) []report.AlertData {
	t.Helper()
	var out []report.AlertData
	sc := bufio.NewScanner(buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l alertLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Event == report.EventAlert {
			out = append(out, l.Data)
		}
	}
	buf.Reset()
	return out
}

type memoryFeed struct {
	t    *testing.T
	rep  *report.Reporter
	at   time.Time
	prev *report.Snapshot
}

func (f *memoryFeed) feed(values ...float64) {
	f.t.Helper()
	for _, v := range values {
		f.at = f.at.Add(30 * time.Second)
		s := bareSnapshot(f.at, v)
		if err := f.rep.Collect(context.Background(), report.EventMemory, s, f.prev); err != nil {
			f.t.Fatal(err)
		}
		f.prev = s
	}
}
