package process

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

// TestCollector_RealSockets opens TCP, UDP (IPv4 and IPv6) and unix
// sockets and a duplicated descriptor in this process, and checks the
// counts: the descriptors as a listing of /proc/self/fd made right after
// the collection finds them (without . and .., and without the listing's
// own descriptor: the collector's kept directory is among them), the
// connections as
// exactly the TCP and UDP sockets added, a socket with two descriptors
// once.
func TestCollector_RealSockets(t *testing.T) {
	// Not parallel: other tests' sockets and files would move the counts.
	warm, err := net.Listen("tcp", "127.0.0.1:0") // start the netpoller before the first count
	if err != nil {
		t.Fatal(err)
	}
	warm.Close()
	_, collectNow := startCollector(t, Options{})
	counts := func() (fds, conns float64) {
		t.Helper()
		rm := collectNow()
		fds, _ = metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessOpenFDs))
		conns, _ = metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessConnections))
		listed, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		if fds != float64(len(listed)-1) {
			t.Errorf("process.open_file_descriptor.count = %v, /proc/self/fd lists %d and its own", fds, len(listed)-1)
		}
		return fds, conns
	}
	closeAll := func(cs ...interface{ Close() error }) {
		t.Helper()
		for _, c := range cs {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	fds0, conns0 := counts()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inet := []interface{ Close() error }{ln, client, server, udp}
	if udp6, err := net.ListenPacket("udp6", "[::1]:0"); err == nil {
		inet = append(inet, udp6)
	} else {
		t.Logf("no IPv6 loopback: %v", err)
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unixLn, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	dup, err := syscall.Dup(int(udpFD(t, udp)))
	if err != nil {
		t.Fatal(err)
	}
	others := 2 + 1 + 1 // the pair, the unix listener, the duplicate

	fds1, conns1 := counts()
	if conns1-conns0 != float64(len(inet)) {
		t.Errorf("connections went from %v to %v, want +%d (TCP listener, client, server, UDP sockets)", conns0, conns1, len(inet))
	}
	if fds1-fds0 != float64(len(inet)+others) {
		t.Errorf("descriptors went from %v to %v, want +%d", fds0, fds1, len(inet)+others)
	}
	if _, again := counts(); again != conns1 {
		t.Errorf("unchanged sockets: connections %v, then %v", conns1, again)
	}

	// The UDP socket keeps a descriptor (the duplicate): still counted.
	closeAll(udp)
	if _, got := counts(); got != conns1 {
		t.Errorf("UDP socket closed, its duplicate open: connections %v, want %v", got, conns1)
	}
	for _, fd := range []int{dup, pair[0], pair[1]} {
		if err := syscall.Close(fd); err != nil {
			t.Fatal(err)
		}
	}
	closeAll(unixLn)
	for _, c := range inet {
		if c != udp {
			closeAll(c)
		}
	}
	if fds, conns := counts(); fds != fds0 || conns != conns0 {
		t.Errorf("all closed: %v descriptors, %v connections; want %v, %v", fds, conns, fds0, conns0)
	}
}

// udpFD returns the descriptor of a UDP socket.
func udpFD(t *testing.T, c net.PacketConn) uintptr {
	t.Helper()
	rc, err := c.(*net.UDPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := rc.Control(func(f uintptr) { fd = f }); err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestCollector_ManyFDs counts a descriptor directory larger than one
// getdents buffer: 1,000 descriptors, every tenth a TCP socket of its own.
func TestCollector_ManyFDs(t *testing.T) {
	t.Parallel()
	proc := fixtureProc(t)
	fds := map[string]string{}
	protos := &fakeProtos{protos: map[string]string{}}
	for i := range 1000 {
		target := "/dev/null"
		if i%10 == 0 {
			target = "socket:[" + strconv.Itoa(100000+i) + "]"
			protos.protos[target] = "TCP"
		}
		fds[strconv.Itoa(i)] = target
	}
	setFDs(t, proc, fds)
	rm := startFixture(t, proc, 42, protos)()
	if v, _ := metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessOpenFDs)); v != 1000 {
		t.Errorf("descriptors = %v, want 1000", v)
	}
	if got := connsOf(t, rm); got != 100 {
		t.Errorf("connections = %v, want 100", got)
	}
}

// TestCollector_countWithoutListing watches this process on a kernel that
// gives the descriptor count as the size of /proc/PID/fd: while the count
// stays the same no collection lists the directory, a descriptor opened is
// counted at once, and one swapped for a socket under a new number (the
// count unchanged) is seen within verifyEvery collections.
func TestCollector_countWithoutListing(t *testing.T) {
	// Not parallel: other tests' descriptors would move the counts.
	if fi, err := os.Stat("/proc/self/fd"); err != nil || fi.Size() == 0 {
		t.Skipf("/proc/self/fd has no size here (Linux before 6.2): %v", err)
	}
	c, collectNow := startCollector(t, Options{})
	counts := func() (fds, conns float64, listings int) {
		t.Helper()
		rm := collectNow()
		fds, _ = metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessOpenFDs))
		conns, _ = metrictest.Value(metrictest.Find(t, rm, names.ScopeProcess, names.ProcessConnections))
		c.mu.Lock()
		defer c.mu.Unlock()
		return fds, conns, c.socks.listings
	}
	fds0, conns0, listed := counts()
	for i := range 2 * verifyEvery {
		if fds, conns, l := counts(); fds != fds0 || conns != conns0 || l != listed {
			t.Fatalf("unchanged, collection %d: %v fds, %v connections, %d listings; want %v, %v, %d", i, fds, conns, l, fds0, conns0, listed)
		}
	}

	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fds, conns, l := counts(); fds != fds0+1 || conns != conns0 || l != listed+1 {
		t.Fatalf("a file opened: %v fds, %v connections, %d listings; want %v, %v, %d", fds, conns, l, fds0+1, conns0, listed+1)
	}
	listed++

	// A TCP socket under a new, high number, and the file closed: the count
	// stays, the socket is found when the file's number comes up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	const high = 901
	var dupErr error
	if err := raw.Control(func(fd uintptr) { dupErr = syscall.Dup3(int(fd), high, syscall.O_CLOEXEC) }); err != nil || dupErr != nil {
		t.Fatal(err, dupErr)
	}
	defer syscall.Close(high)
	if err := ln.Close(); err != nil { // the dup keeps the socket open
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	seen := false
	for i := 0; i < verifyEvery && !seen; i++ {
		fds, conns, l := counts()
		if fds != fds0+1 {
			t.Fatalf("swapped, collection %d: %v fds, want %v", i, fds, fds0+1)
		}
		seen = conns == conns0+1 && l > listed
		if !seen && (conns != conns0 || l != listed) {
			t.Fatalf("swapped, collection %d: %v connections after %d listings", i, conns, l)
		}
	}
	if !seen {
		t.Fatalf("a descriptor swapped for a socket: not seen in %d collections", verifyEvery)
	}
}
