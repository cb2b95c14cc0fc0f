package process

import (
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

// statusField reads one field of /proc/PID/status independently of the
// code under test.
func statusField(t *testing.T, pid int, key string) float64 {
	t.Helper()
	return metrictest.ProcField(t, "/proc/"+strconv.Itoa(pid)+"/status", key)
}

func startCollector(t *testing.T, opts Options) (*Collector, func() metricdata.ResourceMetrics) {
	t.Helper()
	mp, r := metrictest.NewProvider(t)
	c, err := Start(mp, opts)
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	return c, func() metricdata.ResourceMetrics { return metrictest.Collect(t, r) }
}

func successOf(t *testing.T, rm metricdata.ResourceMetrics) float64 {
	t.Helper()
	v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess), attribute.String(names.AttrCollector, "process"))
	if !ok {
		t.Fatal("no success point")
	}
	return v
}

// processMetrics lists the process instruments; all but process.status
// go silent when the process is gone.
var processMetrics = []string{names.ProcessMemoryUsage, names.ProcessMemoryVirtual, names.ProcessMemoryShared,
	names.ProcessMemoryData, names.ProcessMemoryUtilization, names.ProcessCPUTime, names.ProcessThreadCount,
	names.ProcessOpenFDs, names.ProcessConnections, names.ProcessCreationTime, names.ProcessUptime, names.ProcessStatus}

// TestStart_Self compares a collection of this test process with
// independent reads of /proc/self made right after it.
func TestStart_Self(t *testing.T) {
	t.Parallel()
	c, collectNow := startCollector(t, Options{})
	pid := os.Getpid()
	if c.PID() != pid {
		t.Fatalf("PID() = %d, want %d", c.PID(), pid)
	}
	rm := collectNow()
	if successOf(t, rm) != 1 {
		t.Fatal("collection of this process failed")
	}

	// RSS moves with the test's own allocations: ±10 %.
	rss, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessMemoryUsage))
	if want := statusField(t, pid, "VmRSS") * 1024; math.Abs(rss-want) > 0.1*want {
		t.Errorf("RSS %v, VmRSS %v (tolerance 10 %%)", rss, want)
	}
	vms, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessMemoryVirtual))
	if want := statusField(t, pid, "VmSize") * 1024; math.Abs(vms-want) > 0.1*want {
		t.Errorf("VMS %v, VmSize %v (tolerance 10 %%)", vms, want)
	}
	// The runtime may start or park a thread between the reads: ±2.
	threads, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessThreadCount))
	if want := statusField(t, pid, "Threads"); math.Abs(threads-want) > 2 {
		t.Errorf("threads %v, status Threads %v (tolerance 2)", threads, want)
	}
	util, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessMemoryUtilization))
	if util <= 0 || util >= 1 {
		t.Errorf("memory utilization %v, want in (0, 1)", util)
	}
	created, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessCreationTime))
	uptime, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessUptime))
	// Start time has USER_HZ (10 ms) resolution; allow for that and for
	// the time since the collection.
	if now := float64(time.Now().UnixMilli()) / 1e3; created > now || math.Abs(now-created-uptime) > 1 {
		t.Errorf("created %v, uptime %v, now %v", created, uptime, now)
	}
	// CPU time keeps running between the reads: ±0.2 s.
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	for mode, field := range map[string]int{"user": 11, "system": 12} {
		ticks, err := strconv.ParseFloat(f[field], 64)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessCPUTime), attribute.String(names.AttrCPUMode, mode))
		if !ok || math.Abs(got-ticks/100) > 0.2 {
			t.Errorf("%s CPU time %v (present %v), /proc/self/stat %v s", mode, got, ok, ticks/100)
		}
	}
	// The state is the main thread's, which may sleep while another
	// thread collects (or wait on the disk under load): a live state, one
	// point of value 1.
	status := metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus)
	live := 0.0
	for _, st := range []string{"running", "sleeping", "disk-sleep"} {
		if v, ok := metrictest.Value(status, attribute.String(names.AttrProcessState, st)); ok {
			live += v
		}
	}
	if metrictest.Points(status) != 1 || live != 1 {
		t.Errorf("status %+v, want one point running, sleeping or disk-sleep with value 1", status.Data)
	}
	assertNoPIDAttr(t, rm)
}

// assertNoPIDAttr checks that no point carries process.pid: the process
// is the resource of its provider, not a point attribute.
func assertNoPIDAttr(t *testing.T, rm metricdata.ResourceMetrics) {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var sets []attribute.Set
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			}
			for _, set := range sets {
				if set.HasValue(attribute.Key(names.AttrProcessPID)) {
					t.Errorf("%s: point carries process.pid (%v)", m.Name, set.ToSlice())
				}
			}
		}
	}
}

// TestCollector_FDsAndConnections opens a loopback listener and a
// connection (three sockets) and a file, and checks the deltas.
func TestCollector_FDsAndConnections(t *testing.T) {
	// Not parallel: other tests' sockets and files would move the counts.
	_, collectNow := startCollector(t, Options{})
	counts := func() (fds, conns float64) {
		rm := collectNow()
		fds, _ = metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessOpenFDs))
		conns, _ = metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessConnections))
		return fds, conns
	}
	fds0, conns0 := counts()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	f, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	fds1, conns1 := counts()
	if conns1-conns0 != 3 {
		t.Errorf("connections went from %v to %v, want +3 (listener, client, server)", conns0, conns1)
	}
	if fds1-fds0 < 4 { // the netpoller's epoll fd may appear too
		t.Errorf("fds went from %v to %v, want at least +4", fds0, fds1)
	}
	// An unchanged set of sockets gives the same count, a closed socket a
	// smaller one.
	if _, again := counts(); again != conns1 {
		t.Errorf("unchanged sockets: connections %v, then %v", conns1, again)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if _, conns2 := counts(); conns2 != conns1-1 {
		t.Errorf("after closing the client: connections %v, want %v", conns2, conns1-1)
	}
}

// TestCollector_SocketConnectsLater opens a TCP socket, collects, then
// connects it: the process's descriptors do not change, and the socket
// counts before and after.
func TestCollector_SocketConnectsLater(t *testing.T) {
	// Not parallel: other tests' sockets would move the counts.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, collectNow := startCollector(t, Options{})
	conns := func() float64 {
		t.Helper()
		v, ok := metrictest.Value(metrictest.Find(t, collectNow(), names.ScopeProcess, names.ProcessConnections))
		if !ok {
			t.Fatal("no connection count")
		}
		return v
	}
	base := conns()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if got := conns(); got != base+1 {
		t.Errorf("with an unconnected TCP socket: connections %v, want %v", got, base+1)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	// The handshake completes in the listener's backlog; nothing accepts it.
	if got := conns(); got != base+1 {
		t.Errorf("after connect: connections %v, want %v", got, base+1)
	}
}

func startChild(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // already dead in most tests
		_ = cmd.Wait()
	})
	return cmd
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // "signal: killed" is the expected error
}

// waitState collects until the child reports state (a freshly started
// child may still be running exec). Bounded by attempts, not time.
func waitState(t *testing.T, collectNow func() metricdata.ResourceMetrics, pid int, state string) metricdata.ResourceMetrics {
	t.Helper()
	for range 200 {
		rm := collectNow()
		if metrictest.Has(rm, names.ScopeProcess, names.ProcessStatus) {
			if _, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus),
				attribute.String(names.AttrProcessState, state)); ok {
				return rm
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("pid %d never reported state %s", pid, state)
	return metricdata.ResourceMetrics{}
}

// assertGone checks a collection of a process that could not be
// measured: success 0, no metric but process.status, which has one point
// {pid, state} (none when pid is 0: nothing names a process then).
func assertGone(t *testing.T, rm metricdata.ResourceMetrics, pid int, state string) {
	t.Helper()
	if v := successOf(t, rm); v != 0 {
		t.Errorf("success = %v, want 0", v)
	}
	for _, n := range processMetrics {
		if n != names.ProcessStatus && metrictest.Has(rm, names.ScopeProcess, n) {
			t.Errorf("%s observed for a missing process", n)
		}
	}
	if pid == 0 {
		if metrictest.Has(rm, names.ScopeProcess, names.ProcessStatus) {
			t.Error("process.status observed without a pid")
		}
		return
	}
	status := metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus)
	v, ok := metrictest.Value(status, attribute.String(names.AttrProcessState, state))
	if !ok || v != 1 || metrictest.Points(status) != 1 {
		t.Errorf("process.status = %+v, want one point {pid %d, %s} = 1", status.Data, pid, state)
	}
}

func TestCollector_FollowsPID(t *testing.T) {
	t.Parallel()
	child := startChild(t)
	pid := child.Process.Pid
	logs := &metrictest.LogRecorder{}
	c, collectNow := startCollector(t, Options{PID: pid, Logger: slog.New(logs)})
	rm := waitState(t, collectNow, pid, "sleeping")
	if v := successOf(t, rm); v != 1 {
		t.Fatalf("success = %v", v)
	}
	if v, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessThreadCount)); v != 1 {
		t.Errorf("sleep has %v threads, want 1", v)
	}

	kill(t, child)
	for range 3 {
		assertGone(t, collectNow(), pid, StateNotFound)
	}
	if c.PID() != pid {
		t.Errorf("PID() = %d after exit, want the configured %d", c.PID(), pid)
	}
	if n := logs.Count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings after 3 collections of a dead process, want 1", n)
	}
}

// TestIdentify reads a child's identity, and a pid without a process.
func TestIdentify(t *testing.T) {
	t.Parallel()
	child := startChild(t)
	pid := child.Process.Pid
	id, err := NewIdentifier("").Identify(pid)
	if err != nil {
		t.Fatal(err)
	}
	if id.PID != pid || id.StartTicks == 0 || id.ExecutableName != "sleep" {
		t.Errorf("Identify(%d) = %+v, want its start time and executable name sleep", pid, id)
	}
	again, err := NewIdentifier("").Identify(pid)
	if err != nil || again != id {
		t.Errorf("second Identify = %+v, %v; want %+v", again, err, id)
	}
	kill(t, child)
	if id, err := NewIdentifier("").Identify(pid); err != nil || id.StartTicks != 0 || id.ExecutableName != "" {
		t.Errorf("Identify of an exited pid = %+v, %v; want no process", id, err)
	}
	if _, err := NewIdentifier("").Identify(0); err == nil {
		t.Error("Identify(0) succeeded")
	}
}

// TestIdentify_commWithoutExe: /proc/PID/exe unreadable (another user's
// process): the executable name is the command name of /proc/PID/stat.
func TestIdentify_commWithoutExe(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	id, err := NewIdentifier(proc).Identify(42)
	if err != nil {
		t.Fatal(err)
	}
	if id != (Identity{PID: 42, StartTicks: 12345, ExecutableName: "bot"}) {
		t.Errorf("Identify = %+v", id)
	}
}

func TestReadPIDFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "bot.pid")
	if _, err := ReadPIDFile(p); err == nil {
		t.Error("missing pid file read")
	}
	if err := os.WriteFile(p, []byte(" 4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if pid, err := ReadPIDFile(p); err != nil || pid != 4242 {
		t.Errorf("ReadPIDFile = %d, %v", pid, err)
	}
}

// TestCollector_OtherProcessUnderPID: with StartTicks set, a process that
// reuses the pid is not the one observed: the status reads not_found.
func TestCollector_OtherProcessUnderPID(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	mp, r := metrictest.NewProvider(t)
	c, err := start(mp, Options{PID: 42, StartTicks: 999}, config{procRoot: proc, sockProto: (&fakeProtos{}).lookup})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	assertGone(t, metrictest.Collect(t, r), 42, StateNotFound)
}

func TestCollector_Zombie(t *testing.T) {
	t.Parallel()
	child := startChild(t)
	pid := child.Process.Pid
	_, collectNow := startCollector(t, Options{PID: pid})
	waitState(t, collectNow, pid, "sleeping")
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Not reaped yet: the pid is a zombie until Wait. Poll by attempts
	// until the kernel has delivered the signal.
	for i := 0; ; i++ {
		rm := collectNow()
		if successOf(t, rm) == 0 {
			assertGone(t, rm, pid, "defunct")
			break
		}
		if i == 200 {
			t.Fatal("zombie still reported as alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStart_Options(t *testing.T) {
	t.Parallel()
	mp, _ := metrictest.NewProvider(t)
	for _, o := range []Options{{PID: -1}} {
		if _, err := Start(mp, o); err == nil {
			t.Errorf("Start(%+v) succeeded", o)
		}
	}
	if _, err := Start(nil, Options{}); err == nil {
		t.Error("Start(nil) succeeded")
	}
}

func TestCollector_Stop(t *testing.T) {
	t.Parallel()
	mp, r := metrictest.NewProvider(t)
	c, err := Start(mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.CheckStop(t, r, names.ScopeProcess, names.ProcessMemoryUsage, c)
}

// TestCollector_Instruments checks names, units and kinds against a
// fixture /proc/PID with a fixed clock.
func TestCollector_Instruments(t *testing.T) {
	t.Parallel()
	proc := t.TempDir()
	for name, content := range map[string]string{
		"stat":     "cpu  1 1 1 1\nbtime 1700000000\n",
		"meminfo":  "MemTotal:       4000 kB\nMemFree: 1 kB\n",
		"42/stat":  "42 (my bot) (x) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 100 0 0 0\n",
		"42/statm": "1000 200 50 10 0 300 0\n",
		"42/net/tcp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
			"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0 100 0 0 10 0\n" +
			"   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7777 1 0 100 0 0 10 0\n",
		"42/net/udp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
	} {
		p := filepath.Join(proc, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fd := filepath.Join(proc, "42", "fd")
	if err := os.MkdirAll(fd, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"0": "/dev/null", "1": "socket:[5555]", "2": "socket:[9999]", "3": "pipe:[1]"} {
		if err := os.Symlink(target, filepath.Join(fd, name)); err != nil {
			t.Fatal(err)
		}
	}
	mp, r := metrictest.NewProvider(t)
	clock := metrictest.NewStepClock(time.Unix(1_700_000_500, 0), time.Millisecond)
	protos := &fakeProtos{protos: map[string]string{"socket:[5555]": "TCP", "socket:[9999]": "UNIX"}}
	c, err := start(mp, Options{PID: 42}, config{procRoot: proc, now: clock.Now, sockProto: protos.lookup})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	rm := metrictest.Collect(t, r)
	page := int64(os.Getpagesize())
	set := func(kv ...attribute.KeyValue) attribute.Set { return attribute.NewSet(kv...) }
	upDown := func(v int64) metricdata.Sum[int64] {
		return metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.DataPoint[int64]{{Attributes: set(), Value: v}}}
	}
	gauge := func(v float64) metricdata.Gauge[float64] {
		return metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: set(), Value: v}}}
	}
	want := []metricdata.Metrics{
		{Name: names.ProcessMemoryUsage, Unit: "By", Description: "Resident set size of the process.", Data: upDown(200 * page)},
		{Name: names.ProcessMemoryVirtual, Unit: "By", Description: "Virtual memory size of the process.", Data: upDown(1000 * page)},
		{Name: names.ProcessMemoryShared, Unit: "By", Description: "Resident memory of the process backed by files (statm shared).", Data: upDown(50 * page)},
		{Name: names.ProcessMemoryData, Unit: "By", Description: "Data and stack size of the process (statm data).", Data: upDown(300 * page)},
		{Name: names.ProcessMemoryUtilization, Unit: "1", Description: "Resident set size as a fraction of MemTotal.", Data: gauge(float64(200*page) / (4000 * 1024))},
		{Name: names.ProcessCPUTime, Unit: "s", Description: "CPU seconds used by the process, by mode.", Data: metricdata.Sum[float64]{
			Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[float64]{
				{Attributes: set(attribute.String(names.AttrCPUMode, "user")), Value: 2.5},
				{Attributes: set(attribute.String(names.AttrCPUMode, "system")), Value: 0.5},
			}}},
		{Name: names.ProcessThreadCount, Unit: "{thread}", Description: "Threads of the process.", Data: upDown(7)},
		{Name: names.ProcessOpenFDs, Unit: "{file_descriptor}", Description: "Open file descriptors of the process.", Data: upDown(4)},
		{Name: names.ProcessConnections, Unit: "{connection}", Description: "TCP and UDP sockets (IPv4 and IPv6) open in the process.", Data: upDown(1)},
		{Name: names.ProcessCreationTime, Unit: "s", Description: "When the process started, in seconds since the Unix epoch.", Data: gauge(1_700_000_123.45)},
		{Name: names.ProcessUptime, Unit: "s", Description: "Seconds since the process started.", Data: gauge(1_700_000_500.001 - 1_700_000_123.45)},
		{Name: names.ProcessStatus, Unit: "1", Description: "1 for the current state of the process (process.state).", Data: metricdata.Gauge[int64]{
			DataPoints: []metricdata.DataPoint[int64]{{Attributes: set(attribute.String(names.AttrProcessState, "sleeping")), Value: 1}}}},
		{Name: names.CollectorSuccess, Unit: "1", Description: "Whether the last collection of the source succeeded (1) or failed (0).", Data: metricdata.Gauge[int64]{
			DataPoints: []metricdata.DataPoint[int64]{{Attributes: set(attribute.String(names.AttrCollector, "process")), Value: 1}}}},
	}
	for _, w := range want {
		t.Run(w.Name, func(t *testing.T) {
			scope := names.ScopeProcess
			if w.Name == names.CollectorSuccess {
				scope = names.ScopeCollect
			}
			got := metrictest.Find(t, rm, scope, w.Name)
			if w.Name == names.ProcessUptime { // float rounding of epoch seconds
				v, _ := metrictest.Value(got)
				if math.Abs(v-(1_700_000_500.001-1_700_000_123.45)) > 1e-3 {
					t.Errorf("uptime %v", v)
				}
				metricdatatest.AssertEqual(t, w, got, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue())
				return
			}
			metricdatatest.AssertEqual(t, w, got, metricdatatest.IgnoreTimestamp())
		})
	}
}

// TestStart_Health: the collector's own gauges go to Options.Health (the
// agent's provider), the process instruments to the provider given.
func TestStart_Health(t *testing.T) {
	t.Parallel()
	mp, r := metrictest.NewProvider(t)
	health, hr := metrictest.NewProvider(t)
	c, err := Start(mp, Options{Health: health})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	rm := metrictest.Collect(t, r)
	if !metrictest.Has(rm, names.ScopeProcess, names.ProcessMemoryUsage) {
		t.Error("no process instrument in the process's provider")
	}
	if metrictest.Has(rm, names.ScopeCollect, names.CollectorSuccess) {
		t.Error("the collector's success gauge is in the process's provider")
	}
	if successOf(t, metrictest.Collect(t, hr)) != 1 {
		t.Error("the collector's success gauge is not in the Health provider")
	}
}
