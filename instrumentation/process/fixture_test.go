package process

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

// tableHeader is the first line of /proc/PID/net/{tcp,udp}.
const tableHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

// tableLine is one socket of a /proc/PID/net table with the given inode.
func tableLine(slot int, inode string) string {
	return "   " + string(rune('0'+slot)) + ": 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 " +
		inode + " 1 0 100 0 0 10 0\n"
}

// writeFiles creates files (path → content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixtureProc writes a /proc tree with pid 42 whose descriptors 1 and 2
// are the sockets 5555 and 9999; only 5555 is in net/tcp.
func fixtureProc(t *testing.T) string {
	t.Helper()
	proc := t.TempDir()
	writeFiles(t, proc, map[string]string{
		"stat":       "cpu  1 1 1 1\nbtime 1700000000\n",
		"meminfo":    "MemTotal:       4000 kB\nMemFree: 1 kB\n",
		"42/stat":    "42 (bot) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 100 0 0 0\n",
		"42/statm":   "1000 200 50 10 0 300 0\n",
		"42/net/tcp": tableHeader + tableLine(0, "5555"),
		"42/net/udp": tableHeader,
	})
	fd := filepath.Join(proc, "42", "fd")
	if err := os.MkdirAll(fd, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"0": "/dev/null", "1": "socket:[5555]", "2": "socket:[9999]"} {
		if err := os.Symlink(target, filepath.Join(fd, name)); err != nil {
			t.Fatal(err)
		}
	}
	return proc
}

func startFixture(t *testing.T, proc string, pid int) func() metricdata.ResourceMetrics {
	t.Helper()
	mp, r := metrictest.NewProvider(t)
	clock := metrictest.NewStepClock(time.Unix(1_700_000_500, 0), time.Millisecond)
	c, err := start(mp, Options{PID: pid}, config{procRoot: proc, now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	return func() metricdata.ResourceMetrics { return metrictest.Collect(t, r) }
}

func connsOf(t *testing.T, rm metricdata.ResourceMetrics) float64 {
	t.Helper()
	v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessConnections), attribute.Int(names.AttrProcessPID, 42))
	if !ok {
		t.Fatal("no connection count for pid 42")
	}
	return v
}

// TestCollector_ConnectionsFollowTheTables changes the socket tables while
// the process keeps the same descriptors: a socket that is bound or
// connects after it was opened, and one that leaves the tables (reset by
// the peer) while its descriptor stays open.
func TestCollector_ConnectionsFollowTheTables(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	collectNow := startFixture(t, proc, 42)
	if got := connsOf(t, collectNow()); got != 1 {
		t.Fatalf("connections = %v, want 1 (5555 in net/tcp, 9999 not yet)", got)
	}

	// 9999 connects: same descriptors, one more table entry.
	writeFiles(t, proc, map[string]string{"42/net/tcp": tableHeader + tableLine(0, "5555") + tableLine(1, "9999")})
	if got := connsOf(t, collectNow()); got != 2 {
		t.Errorf("after 9999 connected: connections = %v, want 2", got)
	}

	// 5555 is reset: it leaves the table, its descriptor stays open.
	writeFiles(t, proc, map[string]string{"42/net/tcp": tableHeader + tableLine(1, "9999")})
	if got := connsOf(t, collectNow()); got != 1 {
		t.Errorf("after 5555 left the table: connections = %v, want 1", got)
	}

	// An IPv6 or UDP table counts the same.
	writeFiles(t, proc, map[string]string{"42/net/udp6": tableHeader + tableLine(0, "5555")})
	if got := connsOf(t, collectNow()); got != 2 {
		t.Errorf("with 5555 in net/udp6: connections = %v, want 2", got)
	}
}

// TestCollector_GoneKeepsPID checks that a watched process that is not
// running still names its pid: process.status reads not_found, and nothing
// else is observed.
func TestCollector_GoneKeepsPID(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	collectNow := startFixture(t, proc, 1234) // no /proc/1234
	rm := collectNow()
	if v := successOf(t, rm); v != 0 {
		t.Errorf("success = %v, want 0", v)
	}
	status := metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus)
	if v, ok := metrictest.Value(status, attribute.Int(names.AttrProcessPID, 1234), attribute.String(names.AttrProcessState, StateNotFound)); !ok || v != 1 || metrictest.Points(status) != 1 {
		t.Errorf("process.status = %+v, want one point {pid 1234, %s} = 1", status.Data, StateNotFound)
	}
	for _, n := range processMetrics {
		if n != names.ProcessStatus && metrictest.Has(rm, names.ScopeProcess, n) {
			t.Errorf("%s observed for a missing process", n)
		}
	}

	// The process appears (a bot started after the agent): its real state
	// replaces not_found.
	writeFiles(t, proc, map[string]string{
		"1234/stat":  "1234 (bot) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 100 0 0 0\n",
		"1234/statm": "1000 200 50 10 0 300 0\n",
	})
	if err := os.MkdirAll(filepath.Join(proc, "1234", "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	rm = collectNow()
	status = metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus)
	if v, ok := metrictest.Value(status, attribute.Int(names.AttrProcessPID, 1234), attribute.String(names.AttrProcessState, "sleeping")); !ok || v != 1 || metrictest.Points(status) != 1 {
		t.Errorf("process.status = %+v, want one point {pid 1234, sleeping} = 1", status.Data)
	}
}
