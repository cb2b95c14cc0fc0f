package process

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
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
	writeFiles(t, proc, pid42Files(tableHeader+tableLine(0, "5555")))
	if err := os.MkdirAll(filepath.Join(proc, "42", "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	setFDs(t, proc, map[string]string{"0": "/dev/null", "1": "socket:[5555]", "2": "socket:[9999]"})
	return proc
}

// pid42Files are the files of a /proc tree with pid 42 (descriptors
// apart), its net/tcp table being tcp.
func pid42Files(tcp string) map[string]string {
	return map[string]string{
		"stat":       "cpu  1 1 1 1\nbtime 1700000000\n",
		"meminfo":    "MemTotal:       4000 kB\nMemFree: 1 kB\n",
		"42/stat":    "42 (bot) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 100 0 0 0\n",
		"42/statm":   "1000 200 50 10 0 300 0\n",
		"42/net/tcp": tcp,
		"42/net/udp": tableHeader,
	}
}

// setFDs replaces the descriptors of pid 42 in proc (name → link target).
func setFDs(t *testing.T, proc string, fds map[string]string) {
	t.Helper()
	dir := filepath.Join(proc, "42", "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range fds {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeProtos answers the protocol lookup of fixture descriptors from a
// table of socket links ("socket:[5555]" → "TCP"); a link it does not
// know has no sockfs attribute (ENOTSUP). It counts its calls.
type fakeProtos struct {
	mu     sync.Mutex
	protos map[string]string
	calls  int
}

func (f *fakeProtos) lookup(path string, dest []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	link, err := os.Readlink(path)
	if err != nil {
		return 0, err
	}
	p, ok := f.protos[link]
	if !ok {
		return 0, syscall.ENOTSUP
	}
	return copy(dest, p+"\x00"), nil
}

func (f *fakeProtos) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func startFixture(t *testing.T, proc string, pid int, protos *fakeProtos) func() metricdata.ResourceMetrics {
	t.Helper()
	mp, r := metrictest.NewProvider(t)
	clock := metrictest.NewStepClock(time.Unix(1_700_000_500, 0), time.Millisecond)
	c, err := start(mp, Options{PID: pid}, config{procRoot: proc, now: clock.Now, sockProto: protos.lookup})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	return func() metricdata.ResourceMetrics { return metrictest.Collect(t, r) }
}

func connsOf(t *testing.T, rm metricdata.ResourceMetrics) float64 {
	t.Helper()
	v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessConnections))
	if !ok {
		t.Fatal("no connection count for pid 42")
	}
	return v
}

// TestCollector_ConnectionsByProtocol counts the TCP and UDP sockets by
// their protocol, whatever the socket tables say: a socket that is not
// yet bound or connected (absent from the tables) and one reset by its
// peer (gone from them) while its descriptor stays open both count.
func TestCollector_ConnectionsByProtocol(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	protos := &fakeProtos{protos: map[string]string{
		"socket:[5555]": "TCP", "socket:[9999]": "UNIX", "socket:[7777]": "UDPv6", "socket:[4444]": "MPTCP",
	}}
	collectNow := startFixture(t, proc, 42, protos)
	if got := connsOf(t, collectNow()); got != 1 {
		t.Fatalf("connections = %v, want 1 (TCP 5555; 9999 is a unix socket)", got)
	}

	// Two inet sockets open, listed in no table yet, one descriptor
	// duplicated.
	setFDs(t, proc, map[string]string{"0": "/dev/null", "1": "socket:[5555]", "2": "socket:[9999]",
		"3": "socket:[7777]", "4": "socket:[4444]", "5": "socket:[5555]"})
	if got := connsOf(t, collectNow()); got != 3 {
		t.Errorf("with UDPv6 7777 and MPTCP 4444 open: connections = %v, want 3", got)
	}
	// 5555 leaves the table (reset); the descriptors stay.
	writeFiles(t, proc, map[string]string{"42/net/tcp": tableHeader})
	if got := connsOf(t, collectNow()); got != 3 {
		t.Errorf("after 5555 left the table: connections = %v, want 3", got)
	}
	// A protocol is read once per socket: 5555, 9999, then 7777 and 4444.
	if n := protos.callCount(); n != 4 {
		t.Errorf("%d protocol lookups over 3 collections, want 4 (one per socket)", n)
	}
	// Closing descriptors uncounts their sockets.
	setFDs(t, proc, map[string]string{"0": "/dev/null", "2": "socket:[9999]", "3": "socket:[7777]"})
	if got := connsOf(t, collectNow()); got != 1 {
		t.Errorf("after closing 5555 and 4444: connections = %v, want 1", got)
	}
}

// TestCollector_ConnectionsWithoutProtocols is the fallback for a kernel
// without sockfs attributes: sockets are looked up in the tables, read
// again when the set of sockets changes.
func TestCollector_ConnectionsWithoutProtocols(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	collectNow := startFixture(t, proc, 42, &fakeProtos{}) // every lookup: ENOTSUP
	if got := connsOf(t, collectNow()); got != 1 {
		t.Fatalf("connections = %v, want 1 (5555 in net/tcp)", got)
	}
	writeFiles(t, proc, map[string]string{"42/net/udp6": tableHeader + tableLine(0, "7777")})
	setFDs(t, proc, map[string]string{"1": "socket:[5555]", "2": "socket:[9999]", "3": "socket:[7777]"})
	if got := connsOf(t, collectNow()); got != 2 {
		t.Errorf("with 7777 open and in net/udp6: connections = %v, want 2", got)
	}
}

// TestCollector_GoneKeepsPID checks that a watched process that is not
// running still names its pid: process.status reads not_found, and nothing
// else is observed.
func TestCollector_GoneKeepsPID(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	collectNow := startFixture(t, proc, 1234, &fakeProtos{}) // no /proc/1234
	rm := collectNow()
	if v := successOf(t, rm); v != 0 {
		t.Errorf("success = %v, want 0", v)
	}
	status := metrictest.Find(t, rm, names.ScopeProcess, names.ProcessStatus)
	if v, ok := metrictest.Value(status, attribute.String(names.AttrProcessState, StateNotFound)); !ok || v != 1 || metrictest.Points(status) != 1 {
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
	if v, ok := metrictest.Value(status, attribute.String(names.AttrProcessState, "sleeping")); !ok || v != 1 || metrictest.Points(status) != 1 {
		t.Errorf("process.status = %+v, want one point {pid 1234, sleeping} = 1", status.Data)
	}
}

// TestCollector_linksReadInTurn: while the descriptor numbers stay the
// same, a collection reads only a share of the links, in turn, so a
// number reused for another kind of file is seen within verifyEvery
// collections, and a descriptor opened or closed at the next one.
func TestCollector_linksReadInTurn(t *testing.T) {
	t.Parallel()
	proc := t.TempDir()
	writeFiles(t, proc, pid42Files(tableHeader))
	fds := map[string]string{"0": "/dev/null", "1": "socket:[5555]", "2": "socket:[6666]", "3": "/tmp/x", "4": "/tmp/y",
		"5": "/tmp/z", "6": "/tmp/w", "7": "socket:[7777]"}
	if err := os.MkdirAll(filepath.Join(proc, "42", "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	setFDs(t, proc, fds)
	protos := &fakeProtos{protos: map[string]string{"socket:[5555]": "TCP", "socket:[6666]": "UDP", "socket:[7777]": "UNIX", "socket:[8888]": "TCPv6"}}
	mp, r := metrictest.NewProvider(t)
	clock := metrictest.NewStepClock(time.Unix(1_700_000_500, 0), time.Millisecond)
	c, err := start(mp, Options{PID: 42}, config{procRoot: proc, now: clock.Now, sockProto: protos.lookup})
	if err != nil {
		t.Fatal(err)
	}
	metrictest.StopOnCleanup(t, c)
	collect := func() (conns float64, links int) {
		t.Helper()
		c.mu.Lock()
		before := c.socks.linksRead
		c.mu.Unlock()
		conns = connsOf(t, metrictest.Collect(t, r))
		c.mu.Lock()
		defer c.mu.Unlock()
		return conns, c.socks.linksRead - before
	}
	if conns, links := collect(); conns != 2 || links != len(fds) {
		t.Fatalf("first collection: %v connections from %d links read, want 2 from %d", conns, links, len(fds))
	}
	for i := range verifyEvery {
		if conns, links := collect(); conns != 2 || links != len(fds)/verifyEvery {
			t.Fatalf("unchanged, collection %d: %v connections from %d links read, want 2 from %d", i, conns, links, len(fds)/verifyEvery)
		}
	}

	// A number reused for another kind of file is seen once its turn comes,
	// within verifyEvery collections, and its collection reads every link.
	for _, step := range []struct {
		fd, target string
		want       float64
	}{{"1", "/tmp/v", 1}, {"7", "socket:[8888]", 2}} { // TCP → file; UNIX → TCPv6
		fds[step.fd] = step.target
		setFDs(t, proc, fds)
		seen := false
		for i := 0; i < verifyEvery && !seen; i++ {
			conns, links := collect()
			switch {
			case conns == step.want && links > len(fds)/verifyEvery:
				seen = true
			case conns != step.want && links == len(fds)/verifyEvery:
			default:
				t.Fatalf("fd %s reused, collection %d: %v connections from %d links read", step.fd, i, conns, links)
			}
		}
		if !seen {
			t.Fatalf("fd %s reused: not seen in %d collections", step.fd, verifyEvery)
		}
	}

	// A descriptor closed: seen at once, every link read again.
	delete(fds, "2")
	setFDs(t, proc, fds)
	if conns, links := collect(); conns != 1 || links != len(fds) {
		t.Errorf("after a close: %v connections from %d links read, want 1 from %d", conns, links, len(fds))
	}
}
