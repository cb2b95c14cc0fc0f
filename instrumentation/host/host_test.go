package host

import (
	"context"
	"log/slog"
	"math"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/disk"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/procfs"
)

// meminfoKB reads one /proc/meminfo field independently of the code under
// test.
func meminfoKB(t *testing.T, key string) float64 {
	t.Helper()
	return metrictest.ProcField(t, "/proc/meminfo", key)
}

// TestStart_Accuracy compares one collection on this machine with
// independent reads of /proc made right after it.
func TestStart_Accuracy(t *testing.T) {
	t.Parallel()
	if goruntime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	mp, r := metrictest.NewProvider(t)
	c, err := Start(mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	rm := metrictest.Collect(t, r)

	// MemTotal and SwapTotal are constant: exact.
	if got, want := mustValue(t, metrictest.Find(t, rm, names.ScopeHost, names.SystemMemoryLimit)), meminfoKB(t, "MemTotal")*1024; got != want {
		t.Errorf("system.memory.limit = %v, /proc/meminfo MemTotal = %v", got, want)
	}
	paging := metrictest.Find(t, rm, names.ScopeHost, names.SystemPagingUsage)
	used, _ := metrictest.Value(paging, attribute.String(names.AttrPagingState, "used"))
	free, _ := metrictest.Value(paging, attribute.String(names.AttrPagingState, "free"))
	if want := meminfoKB(t, "SwapTotal") * 1024; used+free != want {
		t.Errorf("paging used+free = %v, SwapTotal = %v", used+free, want)
	}
	// Memory states partition MemTotal.
	mem := metrictest.Find(t, rm, names.ScopeHost, names.SystemMemoryUsage)
	sum := 0.0
	for _, st := range []string{"used", "free", "buffers", "cached"} {
		v, ok := metrictest.Value(mem, attribute.String(names.AttrMemoryState, st))
		if !ok {
			t.Errorf("system.memory.usage has no %s point", st)
		}
		sum += v
	}
	if want := meminfoKB(t, "MemTotal") * 1024; sum != want {
		t.Errorf("memory states sum to %v, MemTotal %v", sum, want)
	}

	// Load average moves between the two reads: ±0.5.
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	for i, name := range []string{names.SystemLoad1m, names.SystemLoad5m, names.SystemLoad15m} {
		want, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustValue(t, metrictest.Find(t, rm, names.ScopeHost, name)); math.Abs(got-want) > 0.5 {
			t.Errorf("%s = %v, /proc/loadavg %v (tolerance 0.5)", name, got, want)
		}
	}

	// CPU counts: exactly the processors of /proc/cpuinfo.
	b, err = os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	cpus := strings.Count(string(b), "\nprocessor\t") + map[bool]int{true: 1}[strings.HasPrefix(string(b), "processor\t")]
	if got := mustValue(t, metrictest.Find(t, rm, names.ScopeHost, names.SystemCPULogicalCount)); got != float64(cpus) {
		t.Errorf("logical count = %v, /proc/cpuinfo has %d processors", got, cpus)
	}
	if n := goruntime.NumCPU(); n > cpus {
		t.Errorf("runtime.NumCPU() = %d > %d processors", n, cpus)
	}
	// Seven modes per online CPU.
	if got := metrictest.Points(metrictest.Find(t, rm, names.ScopeHost, names.SystemCPUTime)); got != 7*cpus {
		t.Errorf("system.cpu.time has %d points, want 7 per CPU (%d)", got, 7*cpus)
	}

	// Every source worked on this machine, except frequency where the
	// kernel may expose none.
	success := metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess)
	for _, src := range []string{"host.cpu", "host.load", "host.memory", "host.swap", "host.disk", "host.diskio", "host.network"} {
		if v, ok := metrictest.Value(success, attribute.String(names.AttrCollector, src)); !ok || v != 1 {
			t.Errorf("success{%s} = %v (present %v), want 1", src, v, ok)
		}
	}
	// The contrib host instrumentation is not: its names are nexusmon's.
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == names.ScopeContribHost {
			t.Errorf("scope %s emits %d metrics, want none", sm.Scope.Name, len(sm.Metrics))
		}
	}
}

func mustValue(t *testing.T, m metricdata.Metrics) float64 {
	t.Helper()
	v, ok := metrictest.Value(m)
	if !ok {
		t.Fatalf("%s has no point", m.Name)
	}
	return v
}

// fixtureReader serves fixture /proc and /sys trees and fakes what
// gopsutil reads itself (mounts, statfs, counts). fail names the sources
// to break: "proc:<file>", "partitions", "usage:<mountpoint>", "counts".
type fixtureReader struct {
	*psReader
	mu     sync.Mutex
	fail   map[string]bool
	parts  []disk.PartitionStat
	usages map[string]*disk.UsageStat
}

func (f *fixtureReader) failing(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[key]
}

func (f *fixtureReader) setFail(key string, v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[key] = v
}

func (f *fixtureReader) readProc(name string) ([]byte, error) {
	if f.failing("proc:" + name) {
		return nil, &procfs.PathError{Op: "open", Path: "/missing/" + name, Err: syscall.ENOENT}
	}
	return f.psReader.readProc(name)
}

func (f *fixtureReader) cpuCounts(context.Context) (int, int, error) {
	if f.failing("counts") {
		return 0, 0, syscall.EACCES
	}
	return 2, 1, nil
}

func (f *fixtureReader) partitions(context.Context) ([]disk.PartitionStat, error) {
	if f.failing("partitions") {
		return nil, syscall.EACCES
	}
	return f.parts, nil
}

func (f *fixtureReader) usage(_ context.Context, mp string) (*disk.UsageStat, error) {
	if f.failing("usage:" + mp) {
		return nil, syscall.ENOENT
	}
	u, ok := f.usages[mp]
	if !ok {
		return nil, syscall.ENOENT
	}
	return u, nil
}

func (f *fixtureReader) isDir(path string) bool { return path != "/etc/hosts" }

func newFixtureReader(t *testing.T) *fixtureReader {
	t.Helper()
	proc, sys := t.TempDir(), t.TempDir()
	writeTree(t, proc, map[string]string{
		"stat": "cpu  100 1 50 1000 2 3 4 5 0 0\n" +
			"cpu0 60 1 30 500 2 3 4 5 0 0\n" +
			"cpu1 40 0 20 500 0 0 0 0 0 0\n" +
			"intr 1 2 3\nctxt 99\nbtime 1700000000\n",
		"meminfo": "MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\n" +
			"Buffers:          50 kB\nCached:          250 kB\nSwapCached:        0 kB\n" +
			"SReclaimable:     50 kB\nSwapTotal:       400 kB\nSwapFree:        100 kB\n",
		"loadavg": "0.50 1.25 2.00 1/100 1234\n",
		"diskstats": "   8       0 sda 100 0 800 10 50 0 400 5 0 0 0 0 0 0 0 0 0\n" +
			"   8       1 sda1 90 0 700 10 40 0 300 5 0 0 0 0 0 0 0 0 0\n" +
			"   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		"net/dev": "Inter-|   Receive                                                |  Transmit\n" +
			" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
			"    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n" +
			"  eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n",
		"cpuinfo":     "processor\t: 0\ncpu MHz\t\t: 2000.5\n\nprocessor\t: 1\ncpu MHz\t\t: 1500.000\n",
		"filesystems": "nodev\tproc\n\text4\nnodev\toverlay\n\tsquashfs\n",
	})
	writeTree(t, sys, map[string]string{
		"block/sda/size":   "1\n",
		"block/loop0/size": "1\n",
		"devices/system/cpu/cpu1/cpufreq/scaling_cur_freq": "2400000\n",
	})
	return &fixtureReader{
		psReader: newPSReader(proc, sys),
		fail:     map[string]bool{},
		parts: []disk.PartitionStat{
			{Device: "/dev/sda1", Mountpoint: "/", Fstype: "ext4"},
			{Device: "proc", Mountpoint: "/proc", Fstype: "proc"},
			{Device: "/dev/sda1", Mountpoint: "/home/x", Fstype: "ext4"},
			{Device: "/dev/loop1", Mountpoint: "/snap/core/1", Fstype: "squashfs"},
			{Device: "/dev/sdb1", Mountpoint: "/data", Fstype: "ext4"},
			{Device: "/dev/sdc1", Mountpoint: "/etc/hosts", Fstype: "ext4"},
			{Device: "tmpfs", Mountpoint: "/run", Fstype: "tmpfs"},
		},
		usages: map[string]*disk.UsageStat{
			"/":     {Total: 1000, Used: 600, Free: 300},
			"/data": {Total: 500, Used: 100, Free: 400},
		},
	}
}

func startFixture(t *testing.T, r reader, log *slog.Logger) (*Collector, func() metricdata.ResourceMetrics) {
	t.Helper()
	mp, mr := metrictest.NewProvider(t)
	clock := metrictest.NewStepClock(time.Unix(1_800_000_000, 0), time.Millisecond)
	c, err := start(mp, log, r, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	return c, func() metricdata.ResourceMetrics { return metrictest.Collect(t, mr) }
}

func set(kv ...attribute.KeyValue) attribute.Set { return attribute.NewSet(kv...) }

// TestCollector_Fixture checks names, units, kinds, attributes and values
// against fixture files.
func TestCollector_Fixture(t *testing.T) {
	t.Parallel()
	_, collectNow := startFixture(t, newFixtureReader(t), nil)
	rm := collectNow()
	ignore := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}

	// Per-core CPU time, cumulative seconds (USER_HZ 100).
	var cpuPoints []metricdata.DataPoint[float64]
	// irq and softirq are one semconv cpu.mode, interrupt.
	modes := []string{"user", "nice", "system", "idle", "iowait", "interrupt", "steal"}
	for core, ticks := range [][7]float64{{60, 1, 30, 500, 2, 3 + 4, 5}, {40, 0, 20, 500, 0, 0, 0}} {
		for m, mode := range modes {
			cpuPoints = append(cpuPoints, metricdata.DataPoint[float64]{
				Attributes: set(attribute.Int(names.AttrCPULogical, core), attribute.String(names.AttrCPUMode, mode)),
				Value:      ticks[m] / 100,
			})
		}
	}
	sum := func(v ...metricdata.DataPoint[int64]) metricdata.Sum[int64] {
		return metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: v}
	}
	upDown := func(v ...metricdata.DataPoint[int64]) metricdata.Sum[int64] {
		return metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, DataPoints: v}
	}
	pt := func(v int64, kv ...attribute.KeyValue) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: set(kv...), Value: v}
	}
	memState := func(s string) attribute.KeyValue { return attribute.String(names.AttrMemoryState, s) }
	dev := func(d, dir string) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String(names.AttrDevice, d), attribute.String(names.AttrDiskDirection, dir)}
	}
	fs := func(d, mp, st string) []attribute.KeyValue {
		kv := []attribute.KeyValue{attribute.String(names.AttrDevice, d), attribute.String(names.AttrMountpoint, mp), attribute.String(names.AttrFSType, "ext4")}
		if st != "" {
			kv = append(kv, attribute.String(names.AttrFSState, st))
		}
		return kv
	}
	iface := func(key, name, dir string) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String(key, name), attribute.String(names.AttrNetDirection, dir)}
	}
	want := []metricdata.Metrics{
		{Name: names.SystemCPUTime, Description: "Seconds each logical CPU spent in each mode.", Unit: "s",
			Data: metricdata.Sum[float64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: cpuPoints}},
		{Name: names.SystemCPULogicalCount, Description: "Number of logical CPUs.", Unit: "{cpu}", Data: upDown(pt(2))},
		{Name: names.SystemCPUPhysicalCount, Description: "Number of physical CPU cores.", Unit: "{cpu}", Data: upDown(pt(1))},
		{Name: names.SystemLoad5m, Description: "Load average over the last 5 minutes.", Unit: "{thread}",
			Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Value: 1.25}}}},
		{Name: names.SystemMemoryUsage, Description: "Memory in use, by state (used, free, buffers, cached).", Unit: "By",
			Data: upDown(pt(450*1024, memState("used")), pt(200*1024, memState("free")), pt(50*1024, memState("buffers")), pt(300*1024, memState("cached")))},
		{Name: names.SystemMemoryLimit, Description: "Total memory (MemTotal).", Unit: "By", Data: upDown(pt(1000 * 1024))},
		{Name: names.SystemMemoryAvailable, Description: "Memory available for new work without swapping (MemAvailable).", Unit: "By", Data: upDown(pt(600 * 1024))},
		{Name: names.SystemPagingUsage, Description: "Swap space, by state (used, free).", Unit: "By",
			Data: upDown(pt(300*1024, attribute.String(names.AttrPagingState, "used")), pt(100*1024, attribute.String(names.AttrPagingState, "free")))},
		{Name: names.SystemFilesystemUsage, Description: "Filesystem space, by state (used, free for unprivileged users, reserved for root).", Unit: "By",
			Data: upDown(pt(600, fs("/dev/sda1", "/", "used")...), pt(300, fs("/dev/sda1", "/", "free")...), pt(100, fs("/dev/sda1", "/", "reserved")...),
				pt(100, fs("/dev/sdb1", "/data", "used")...), pt(400, fs("/dev/sdb1", "/data", "free")...), pt(0, fs("/dev/sdb1", "/data", "reserved")...))},
		{Name: names.SystemFilesystemLimit, Description: "Total size of the filesystem.", Unit: "By",
			Data: upDown(pt(1000, fs("/dev/sda1", "/", "")...), pt(500, fs("/dev/sdb1", "/data", "")...))},
		{Name: names.SystemDiskIO, Description: "Bytes read from and written to each block device.", Unit: "By",
			Data: sum(pt(800*512, dev("sda", "read")...), pt(400*512, dev("sda", "write")...))},
		{Name: names.SystemDiskOperations, Description: "Completed read and write operations of each block device.", Unit: "{operation}",
			Data: sum(pt(100, dev("sda", "read")...), pt(50, dev("sda", "write")...))},
		{Name: names.SystemNetworkIO, Description: "Bytes sent and received by each interface.", Unit: "By",
			Data: sum(pt(3193, iface(names.AttrInterface, "lo", "transmit")...), pt(3193, iface(names.AttrInterface, "lo", "receive")...),
				pt(2000, iface(names.AttrInterface, "eth0", "transmit")...), pt(1000, iface(names.AttrInterface, "eth0", "receive")...))},
		{Name: names.SystemNetworkPackets, Description: "Packets sent and received by each interface.", Unit: "{packet}",
			Data: sum(pt(29, iface(names.AttrDevice, "lo", "transmit")...), pt(29, iface(names.AttrDevice, "lo", "receive")...),
				pt(20, iface(names.AttrDevice, "eth0", "transmit")...), pt(10, iface(names.AttrDevice, "eth0", "receive")...))},
		{Name: names.SystemNetworkErrors, Description: "Transmit and receive errors of each interface.", Unit: "{error}",
			Data: sum(pt(0, iface(names.AttrInterface, "lo", "transmit")...), pt(0, iface(names.AttrInterface, "lo", "receive")...),
				pt(3, iface(names.AttrInterface, "eth0", "transmit")...), pt(1, iface(names.AttrInterface, "eth0", "receive")...))},
		{Name: names.SystemNetworkDropped, Description: "Packets dropped by each interface.", Unit: "{packet}",
			Data: sum(pt(0, iface(names.AttrInterface, "lo", "transmit")...), pt(0, iface(names.AttrInterface, "lo", "receive")...),
				pt(4, iface(names.AttrInterface, "eth0", "transmit")...), pt(2, iface(names.AttrInterface, "eth0", "receive")...))},
		{Name: names.SystemCPUFrequency, Description: "Current frequency of each logical CPU.", Unit: "Hz",
			Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{
				pt(2_000_500_000, attribute.Int(names.AttrCPULogical, 0)), // cpuinfo "cpu MHz"
				pt(2_400_000_000, attribute.Int(names.AttrCPULogical, 1)), // cpufreq wins
			}}},
	}
	for _, w := range want {
		t.Run(w.Name, func(t *testing.T) {
			metricdatatest.AssertEqual(t, w, metrictest.Find(t, rm, names.ScopeHost, w.Name), ignore...)
		})
	}

	// Every source succeeded; with a clock stepping 1 ms per reading each
	// source took exactly 1 ms.
	var ok []metricdata.DataPoint[int64]
	var dur []metricdata.DataPoint[float64]
	for _, src := range []string{"host.cpu", "host.load", "host.memory", "host.swap", "host.disk", "host.diskio", "host.network", "host.frequency"} {
		ok = append(ok, pt(1, attribute.String(names.AttrCollector, src)))
		dur = append(dur, metricdata.DataPoint[float64]{Attributes: set(attribute.String(names.AttrCollector, src)), Value: 0.001})
	}
	metricdatatest.AssertEqual(t, metricdata.Metrics{Name: names.CollectorSuccess, Unit: "1",
		Description: "Whether the last collection of the source succeeded (1) or failed (0).",
		Data:        metricdata.Gauge[int64]{DataPoints: ok}}, metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess), ignore...)
	metricdatatest.AssertEqual(t, metricdata.Metrics{Name: names.CollectorDurationSeconds, Unit: "s",
		Description: "Duration of the last collection of the source.",
		Data:        metricdata.Gauge[float64]{DataPoints: dur}}, metrictest.Find(t, rm, names.ScopeCollect, names.CollectorDurationSeconds), ignore...)

	for _, sm := range rm.ScopeMetrics {
		if sm.Scope != (instrumentation.Scope{Name: names.ScopeHost}) && sm.Scope != (instrumentation.Scope{Name: names.ScopeCollect}) {
			t.Errorf("unexpected scope %+v", sm.Scope)
		}
	}
}

// TestCollector_FailingSource breaks sources one at a time: the broken
// source reads 0, the others still report, each change is logged once.
func TestCollector_FailingSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fail   []string
		source string   // expected to read 0
		gone   []string // metrics that must be absent
		still  []string // metrics of other sources that must be present
	}{
		{"loadavg missing", []string{"proc:loadavg"}, "host.load",
			[]string{names.SystemLoad1m}, []string{names.SystemMemoryUsage, names.SystemCPUTime}},
		{"meminfo missing", []string{"proc:meminfo"}, "host.memory",
			[]string{names.SystemMemoryUsage, names.SystemPagingUsage}, []string{names.SystemLoad1m, names.SystemNetworkIO}},
		{"mount table denied", []string{"partitions"}, "host.disk",
			[]string{names.SystemFilesystemUsage}, []string{names.SystemDiskIO, names.SystemMemoryLimit}},
		{"net/dev missing", []string{"proc:net/dev"}, "host.network",
			[]string{names.SystemNetworkIO}, []string{names.SystemDiskIO}},
		{"diskstats missing", []string{"proc:diskstats"}, "host.diskio",
			[]string{names.SystemDiskIO}, []string{names.SystemNetworkIO}},
		{"stat missing", []string{"proc:stat"}, "host.cpu",
			[]string{names.SystemCPUTime}, []string{names.SystemCPUFrequency}},
		{"cpuinfo missing", []string{"proc:cpuinfo"}, "host.frequency",
			[]string{names.SystemCPUFrequency}, []string{names.SystemCPUTime}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fr := newFixtureReader(t)
			for _, f := range tt.fail {
				fr.setFail(f, true)
			}
			logs := &metrictest.LogRecorder{}
			_, collectNow := startFixture(t, fr, slog.New(logs))
			var rm metricdata.ResourceMetrics
			for range 3 { // three collections, one log record
				rm = collectNow()
			}
			success := metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess)
			for _, src := range []string{"host.cpu", "host.load", "host.memory", "host.swap", "host.disk", "host.diskio", "host.network", "host.frequency"} {
				want := 1.0
				if src == tt.source || (tt.source == "host.memory" && src == "host.swap") {
					want = 0
				}
				if v, _ := metrictest.Value(success, attribute.String(names.AttrCollector, src)); v != want {
					t.Errorf("success{%s} = %v, want %v", src, v, want)
				}
			}
			for _, n := range tt.gone {
				if metrictest.Has(rm, names.ScopeHost, n) {
					t.Errorf("%s observed although its source failed", n)
				}
			}
			for _, n := range tt.still {
				metrictest.Find(t, rm, names.ScopeHost, n)
			}
			wantWarn := 1
			if tt.source == "host.memory" {
				wantWarn = 2 // memory and swap share meminfo
			}
			if got := logs.Count(slog.LevelWarn); got != wantWarn {
				t.Errorf("%d warnings after 3 failing collections, want %d", got, wantWarn)
			}

			// Recovery: the files are back. The frequency source keeps
			// its cached failure for its TTL (the step clock moves 1 ms
			// per reading), so it is left out here.
			if tt.source == "host.frequency" {
				return
			}
			for _, f := range tt.fail {
				fr.setFail(f, false)
			}
			rm = collectNow()
			if v, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess), attribute.String(names.AttrCollector, tt.source)); v != 1 {
				t.Errorf("success{%s} = %v after recovery, want 1", tt.source, v)
			}
			for _, n := range tt.gone {
				metrictest.Find(t, rm, names.ScopeHost, n)
			}
			if got := logs.Count(slog.LevelInfo); got != wantWarn {
				t.Errorf("%d recovery records, want %d", got, wantWarn)
			}
		})
	}
}

// panicReader panics inside a source, as a parser bug would.
type panicReader struct{ *fixtureReader }

func (p panicReader) partitions(context.Context) ([]disk.PartitionStat, error) {
	var parts []disk.PartitionStat
	_ = parts[3] // index out of range
	return parts, nil
}

func TestCollector_PanicIsASourceFailure(t *testing.T) {
	t.Parallel()
	_, collectNow := startFixture(t, panicReader{newFixtureReader(t)}, nil)
	rm := collectNow()
	success := metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess)
	if v, _ := metrictest.Value(success, attribute.String(names.AttrCollector, "host.disk")); v != 0 {
		t.Errorf("success{host.disk} = %v, want 0", v)
	}
	if v, _ := metrictest.Value(success, attribute.String(names.AttrCollector, "host.network")); v != 1 {
		t.Errorf("success{host.network} = %v, want 1", v)
	}
}

func TestCollector_UnmountedFilesystem(t *testing.T) {
	t.Parallel()
	fr := newFixtureReader(t)
	_, collectNow := startFixture(t, fr, nil)
	collectNow()
	fr.setFail("usage:/data", true)
	rm := collectNow()
	if v, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess), attribute.String(names.AttrCollector, "host.disk")); v != 0 {
		t.Errorf("success{host.disk} = %v with a failing statfs, want 0", v)
	}
	if _, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeHost, names.SystemFilesystemLimit), attribute.String(names.AttrMountpoint, "/")); !ok {
		t.Error("/ not reported while /data fails")
	}
	// The mount is gone from the table: the failure forces a re-list.
	fr.mu.Lock()
	fr.parts = fr.parts[:1]
	fr.mu.Unlock()
	rm = collectNow()
	if v, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess), attribute.String(names.AttrCollector, "host.disk")); v != 1 {
		t.Errorf("success{host.disk} = %v after re-listing, want 1", v)
	}
	if _, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeHost, names.SystemFilesystemLimit), attribute.String(names.AttrMountpoint, "/data")); ok {
		t.Error("/data still reported after it left the mount table")
	}
}

func TestCollector_Stop(t *testing.T) {
	t.Parallel()
	mp, r := metrictest.NewProvider(t)
	c, err := start(mp, nil, newFixtureReader(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	metrictest.CheckStop(t, r, names.ScopeHost, names.SystemCPUTime, c)
}

func TestStart_NilProvider(t *testing.T) {
	t.Parallel()
	if _, err := Start(nil, Options{}); err == nil {
		t.Error("Start(nil) succeeded")
	}
}
