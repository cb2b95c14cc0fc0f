package build

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
)

// jsonAt marshals v and returns the value at the dotted path (object keys
// only) as raw JSON.
func jsonAt(t *testing.T, v any, path string) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var cur json.RawMessage = b
	for _, key := range strings.Split(path, ".") {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cur, &obj); err != nil {
			t.Fatalf("%s: %s is not an object: %v", path, cur, err)
		}
		next, ok := obj[key]
		if !ok {
			t.Fatalf("%s: no key %q in %s", path, key, cur)
		}
		cur = next
	}
	return string(cur)
}

// wantJSON checks that each dotted path of v holds the given raw JSON.
func wantJSON(t *testing.T, v any, want map[string]string) {
	t.Helper()
	for path, w := range want {
		if got := jsonAt(t, v, path); got != w {
			t.Errorf("%s = %s, want %s", path, got, w)
		}
	}
}

// wantLines checks that text contains each line.
func wantLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	var missing []string
	for _, l := range lines {
		if !strings.Contains(text, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		t.Errorf("text lacks %q:\n%s", missing, text)
	}
}

// systemSnapshot is fullSnapshot(k) with everything else the system
// report shows: load, CPU counts and frequency, disk I/O, network
// interfaces (loopback included), the process's CPU, threads, descriptors,
// connections and state, and the runtime's memory. The agent (pid 999)
// watches the bot 4242.
func systemSnapshot(k int) *reportdata.Snapshot {
	s := reporttest.FullSnapshot(k)
	s.Resource["process.pid"] = "999"
	f := float64(k)
	h := n.ScopeHost
	s.Add(n.SystemLoad1m, "{thread}", reporttest.Pt(h, 0.52))
	s.Add(n.SystemLoad5m, "{thread}", reporttest.Pt(h, 0.48))
	s.Add(n.SystemLoad15m, "{thread}", reporttest.Pt(h, 0.4))
	s.Add(n.SystemCPUPhysicalCount, "{cpu}", reporttest.Pt(h, 1))
	s.Add(n.SystemCPUFrequency, "Hz", reporttest.Pt(h, 2.4e9, n.AttrCPULogical, "0"), reporttest.Pt(h, 2.2e9, n.AttrCPULogical, "1"))
	dev := func(dir string) []string { return []string{n.AttrDevice, "sda", n.AttrDiskDirection, dir} }
	s.Add(n.SystemDiskIO, "By", reporttest.Pt(h, 1<<30+f*60*(512<<10), dev("read")...), reporttest.Pt(h, 2<<30+f*60*(128<<10), dev("write")...))
	s.Add(n.SystemDiskOperations, "{operation}", reporttest.Pt(h, 90000+f*60*35, dev("read")...), reporttest.Pt(h, 40000+f*60*12.5, dev("write")...))
	nic := func(key, name, dir string) []string { return []string{key, name, n.AttrNetDirection, dir} }
	for _, c := range []struct {
		name, key          string
		lo, tx, rx, dt, dr float64
	}{
		{n.SystemNetworkIO, n.AttrInterface, 1 << 30, 5 << 20, 40 << 20, 60 * (24 << 10), 60 * (118 << 10)},
		{n.SystemNetworkPackets, n.AttrDevice, 1e6, 9000, 30000, 60 * 20, 60 * 85},
		{n.SystemNetworkErrors, n.AttrInterface, 0, 0, 1, 0, 0},
		{n.SystemNetworkDropped, n.AttrInterface, 0, 0, 3, 0, 1},
	} {
		s.Add(c.name, "1", reporttest.Pt(h, c.lo, nic(c.key, "lo", "transmit")...), reporttest.Pt(h, c.lo, nic(c.key, "lo", "receive")...),
			reporttest.Pt(h, c.tx+f*c.dt, nic(c.key, "eth0", "transmit")...), reporttest.Pt(h, c.rx+f*c.dr, nic(c.key, "eth0", "receive")...))
	}
	p, pid := n.ScopeProcess, []string{n.AttrProcessPID, "4242"}
	addProcessCPU(s, "4242", 600+f*1.26, testTime.Add(-76*time.Hour))
	s.Add(n.ProcessThreadCount, "{thread}", reporttest.Pt(p, 14, pid...))
	s.Add(n.ProcessOpenFDs, "{file_descriptor}", reporttest.Pt(p, 42, pid...))
	s.Add(n.ProcessConnections, "{connection}", reporttest.Pt(p, 13, pid...))
	r := n.ScopeRuntime
	s.Add(n.GoMemorySys, "By", reporttest.Pt(r, 40<<20))
	s.Add(n.GoMemoryGCGoal, "By", reporttest.Pt(n.ScopeContribRuntime, 32<<20))
	return s
}

func TestSystemReport_Golden(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ cur, prev *reportdata.Snapshot }{
		"system":         {systemSnapshot(1), systemSnapshot(0)},
		"system_first":   {systemSnapshot(1), nil},
		"system_missing": {reporttest.FailingSnapshot(), reporttest.HostBefore()},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkReportGolden(t, name, SystemReport(BuildSystemData(c.cur, c.prev), c.cur.Time, "host-1", reportdata.DefaultThresholds()))
		})
	}
}

// A value that could not be read is null in JSON and "n/a" in text, never
// 0: a failing source must not read as a healthy host.
func TestBuildSystemData_MissingValues(t *testing.T) {
	t.Parallel()
	d := BuildSystemData(reporttest.FailingSnapshot(), reporttest.HostBefore())
	wantJSON(t, d, map[string]string{
		"system_metrics.cpu.load_average.1m":  "null",
		"system_metrics.cpu.load_average.5m":  "null",
		"system_metrics.cpu.load_average.15m": "null",
		"system_metrics.memory.total":         "null",
		"system_metrics.memory.available":     "null",
		"system_metrics.memory.used":          "null",
		"system_metrics.memory.percent":       "null",
		"system_metrics.memory.swap.total":    "null",
		"system_metrics.memory.swap.percent":  "null",
		"system_metrics.cpu.frequency_mhz":    "null", // no frequency source in the snapshot
		"system_metrics.cpu.cores_physical":   "null",
		"system_metrics.cpu.cores_logical":    "2",
		"unavailable":                         `["host.load","host.memory","host.swap","process"]`,
	})
	text := ConsoleHook(SystemReport(d, testTime, "host-1", reportdata.DefaultThresholds()))
	wantLines(t, text,
		"CPU 10.0 % · Memory n/a · Load n/a",
		"Load 1/5/15m: n/a / n/a / n/a",
		"Used: n/a of n/a (n/a)",
		"Available: n/a",
		"Swap: n/a of n/a (n/a)",
		"Cores: 2 logical / n/a physical · n/a MHz",
	)
	// Nothing missing is stored as a sample (nor evaluated as an alert:
	// TestSystemAlertValues_MissingValues).
	samples := SystemSamples(d)
	for _, series := range []string{SeriesMemory, SeriesSwap, SeriesProcessRSS} {
		if v, ok := samples[series]; ok {
			t.Errorf("sample %s = %v stored for a missing value", series, v)
		}
	}
}

// The first report after start has no previous collection: no CPU
// percentage (the counters hold averages since boot), no rate and no
// interval; none of it is stored as a sample.
func TestBuildSystemData_FirstReport(t *testing.T) {
	t.Parallel()
	cur := reporttest.FullSnapshot(1)
	addProcessCPU(cur, "4242", 30, testTime.Add(-100*time.Second))
	d := BuildSystemData(cur, nil)
	wantJSON(t, d, map[string]string{
		"system_metrics.cpu.percent":                  "null",
		"system_metrics.cpu.per_core_percent":         "null",
		"system_metrics.disk.io.read_bytes_per_sec":   "null",
		"system_metrics.disk.io.write_count_per_sec":  "null",
		"system_metrics.network.bytes_sent_per_sec":   "null",
		"system_metrics.network.packets_recv_per_sec": "null",
		"interval_seconds":                            "null",
		"bot_process_metrics.cpu_percent":             "null",
		"system_metrics.cpu.cores_logical":            "2",
	})
	text := ConsoleHook(SystemReport(d, cur.Time, "host-1", reportdata.DefaultThresholds()))
	wantLines(t, text,
		"Usage: n/a (first report)",
		"Per core: n/a (first report)",
		"I/O: n/a (first report)",
		"Packets/s: n/a (first report)",
		"Throughput: n/a (first report)",
		"CPU: n/a (first report)",
	)
	if strings.Contains(text, "B/s") {
		t.Errorf("first report shows a rate:\n%s", text)
	}
	if v, ok := SystemSamples(d)[SeriesCPU]; ok {
		t.Errorf("first report stores CPU sample %v (an average since boot)", v)
	}

	// The second report measures the interval.
	d = BuildSystemData(cur, reporttest.FullSnapshot(0))
	wantJSON(t, d, map[string]string{
		"system_metrics.cpu.percent":          "25",
		"system_metrics.cpu.per_core_percent": "[25,25]",
		"interval_seconds":                    "60",
	})
	if v, ok := SystemSamples(d)[SeriesCPU]; !ok || v != 25 {
		t.Errorf("CPU sample = %v (stored %v), want 25", v, ok)
	}
}

// The health report's CPU component needs an interval too.
func TestBuildHealthData_FirstReportCPU(t *testing.T) {
	t.Parallel()
	d, ci := BuildHealthData(reporttest.BareSnapshot(testTime, 41), nil, nil, reportdata.DefaultThresholds(), nil)
	if c := d.ComponentHealth[health.ComponentCPU]; c.Available || c.Value != nil {
		t.Errorf("cpu component without an interval = %+v, want unavailable", c)
	}
	if len(ci.CPU) != 0 {
		t.Errorf("chart CPU samples %+v without an interval", ci.CPU)
	}
}

// addProcessCPU adds the CPU time (split between user and system), the
// creation time and a sleeping status of process pid.
func addProcessCPU(s *reportdata.Snapshot, pid string, cpuSeconds float64, created time.Time) {
	p := n.ScopeProcess
	s.Add(n.ProcessCPUTime, "s",
		reporttest.Pt(p, cpuSeconds*0.75, n.AttrProcessPID, pid, n.AttrCPUMode, "user"),
		reporttest.Pt(p, cpuSeconds*0.25, n.AttrProcessPID, pid, n.AttrCPUMode, "system"))
	s.Add(n.ProcessCreationTime, "s", reporttest.Pt(p, float64(created.UnixMilli())/1e3, n.AttrProcessPID, pid))
	s.Add(n.ProcessStatus, "1", reporttest.Pt(p, 1, n.AttrProcessPID, pid, n.AttrProcessState, "sleeping"))
}

// processSnapshot is a collection at `at` watching pid (RSS 48 MiB) with
// the given CPU seconds and creation time.
func processSnapshot(at time.Time, pid string, cpuSeconds float64, created time.Time) *reportdata.Snapshot {
	s := reporttest.BareSnapshot(at, 41)
	p := n.ScopeProcess
	s.Add(n.ProcessMemoryUsage, "By", reporttest.Pt(p, 48<<20, n.AttrProcessPID, pid))
	addProcessCPU(s, pid, cpuSeconds, created)
	return s
}

// A new pid (pid file switch, a process back after an exit) or a reused
// pid starts a new interval: no CPU % until two readings of the same
// process, never its average since it started.
func TestBuildProcess_CPUAcrossProcesses(t *testing.T) {
	t.Parallel()
	prevAt, at := testTime.Add(-time.Minute), testTime
	started := testTime.Add(-10 * 24 * time.Hour)
	tests := []struct {
		name      string
		prev, cur *reportdata.Snapshot
		want      string // cpu_percent as JSON
		text      string
	}{
		{"same process", processSnapshot(prevAt, "4242", 100, started), processSnapshot(at, "4242", 100.24, started),
			"0.4", "CPU: 0.4 %"},
		// 30 s of CPU in the 46 s since the new process started: 65.2 %
		// on average, but nothing is known of the last interval.
		{"new pid", processSnapshot(prevAt, "4242", 100, started), processSnapshot(at, "5000", 30, at.Add(-46*time.Second)),
			"null", "CPU: n/a (first reading of this process)"},
		{"pid reused", processSnapshot(prevAt, "4242", 100, started), processSnapshot(at, "4242", 30, at.Add(-46*time.Second)),
			"null", "CPU: n/a (first reading of this process)"},
		{"process back", reporttest.BareSnapshot(prevAt, 41), processSnapshot(at, "5000", 30, at.Add(-46*time.Second)),
			"null", "CPU: n/a (first reading of this process)"},
		{"first report", nil, processSnapshot(at, "4242", 100, started),
			"null", "CPU: n/a (first report)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := BuildSystemData(tt.cur, tt.prev)
			wantJSON(t, d, map[string]string{"bot_process_metrics.cpu_percent": tt.want})
			wantLines(t, ConsoleHook(SystemReport(d, at, "host-1", reportdata.DefaultThresholds())), tt.text)
		})
	}
}

// A watched process that is gone keeps its pid; what could not be read is
// null, and both reports say which process is missing.
func TestProcessGone(t *testing.T) {
	t.Parallel()
	cur := reporttest.FailingSnapshot()
	d := BuildSystemData(cur, nil)
	wantJSON(t, d, map[string]string{
		"bot_process_metrics.available":      "false",
		"bot_process_metrics.pid":            "1234",
		"bot_process_metrics.status":         `"not_found"`,
		"bot_process_metrics.memory.rss":     "null",
		"bot_process_metrics.memory.vms":     "null",
		"bot_process_metrics.cpu_percent":    "null",
		"bot_process_metrics.memory_percent": "null",
		"bot_process_metrics.threads":        "null",
		"bot_process_metrics.open_fds":       "null",
		"bot_process_metrics.connections":    "null",
		"bot_process_metrics.create_time":    "null",
	})
	wantLines(t, ConsoleHook(SystemReport(d, cur.Time, "host-1", reportdata.DefaultThresholds())), "Status: process 1234 not found")

	md := BuildMemoryData(cur, nil, nil)
	wantJSON(t, md, map[string]string{
		"process_memory.available": "false",
		"process_memory.pid":       "1234",
		"process_memory.rss":       "null",
		"process_memory.percent":   "null",
	})
	text := ConsoleHook(MemoryReport(md, cur.Time, "host-1", reportdata.DefaultThresholds()))
	wantLines(t, text, "Status: process 1234 not found")
	if strings.Contains(text, "no bot process watched") {
		t.Errorf("memory report says no process is watched:\n%s", text)
	}

	// Without any pid (pid file missing): null, and the reports say so.
	bare := reporttest.BareSnapshot(testTime, 41)
	wantJSON(t, BuildSystemData(bare, nil), map[string]string{"bot_process_metrics.pid": "null"})
	wantLines(t, ConsoleHook(MemoryReport(BuildMemoryData(bare, nil, nil), testTime, "host-1", reportdata.DefaultThresholds())),
		"Status: unavailable (no pid to watch)")
}

// "Used" is total − available in the JSON and in the text alike, whatever
// the system.memory.usage{state=used} metric says (total − free − buffers
// − cached, so that its states add up to MemTotal).
func TestMemoryUsed_OneDefinition(t *testing.T) {
	t.Parallel()
	cur := reporttest.FullSnapshot(1) // 8 GiB, 41 % used: available 4.72 GiB
	for i, p := range cur.Metric(n.SystemMemoryUsage).Points {
		if p.Attrs[n.AttrMemoryState] == "used" {
			cur.Metric(n.SystemMemoryUsage).Points[i].Value = 1 * reporttest.Gib
		}
	}
	const used = "3521873183" // 8 GiB × 0.41, rounded
	d := BuildSystemData(cur, reporttest.FullSnapshot(0))
	wantJSON(t, d, map[string]string{"system_metrics.memory.used": used, "system_metrics.memory.percent": "41"})
	wantLines(t, ConsoleHook(SystemReport(d, cur.Time, "host-1", reportdata.DefaultThresholds())), "Used: 3.3 GiB of 8.0 GiB (41.0 %)")
	md := BuildMemoryData(cur, reporttest.FullSnapshot(0), nil)
	wantJSON(t, md, map[string]string{"system_memory.used": used})
	wantLines(t, ConsoleHook(MemoryReport(md, cur.Time, "host-1", reportdata.DefaultThresholds())), "Used: 3.3 GiB of 8.0 GiB (41.0 %)")
}

// The Go runtime and its GC are the agent's: when the watched process is
// another one, the reports say so.
func TestRuntimeSections_Labelled(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, agentPID   string
		system, gc, heap string
	}{
		{"bot is another process", "999", "⚙️ Go runtime · nexusmon agent", "♻️ Garbage collection · nexusmon agent", "Agent heap:"},
		{"bot is the agent", "4242", "⚙️ Go runtime\n", "♻️ Garbage collection\n", "  Heap:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cur, prev := reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)
			cur.Resource["process.pid"] = tt.agentPID
			wantLines(t, ConsoleHook(SystemReport(BuildSystemData(cur, prev), cur.Time, "host-1", reportdata.DefaultThresholds())), tt.system)
			wantLines(t, ConsoleHook(MemoryReport(BuildMemoryData(cur, prev, nil), cur.Time, "host-1", reportdata.DefaultThresholds())), tt.gc, tt.heap)
		})
	}
}
