package process

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/nexusmon/nexusmon/internal/procfs"
)

// The connection count is the number of the process's descriptors that are
// TCP or UDP sockets (IPv4 or IPv6; MPTCP counts as TCP), whatever their
// state: a socket counts from when it is opened until it is closed.
//
// A socket's protocol is read once, from the system.sockprotoname
// attribute that sockfs gives every socket ("TCP", "UDPv6", "UNIX", …),
// and kept for as long as the process holds it. The socket tables of
// /proc/PID/net are not needed: they list every socket of the network
// namespace, and reading one costs time in proportion to the kernel's TCP
// hash table (3.6 ms for /proc/net/tcp on a host with 23 GiB of RAM, even
// with 60 sockets), several times the budget of a whole collection; and
// they go stale between reads, since a socket enters them when it is bound
// or connects and leaves them when it is reset, without any descriptor
// opening or closing. Only sockets whose protocol cannot be read (a kernel
// without sockfs attributes) are looked up in the tables, which are then
// read again whenever that set of sockets changes.

// sockKind is what a socket descriptor is, for the connection count.
type sockKind uint8

const (
	sockOther   sockKind = iota + 1 // unix, netlink, raw, …
	sockInet                        // TCP or UDP over IPv4 or IPv6
	sockUnknown                     // protocol unreadable: looked up in the tables
)

// sockets is the connection count's state, reused between collections.
type sockets struct {
	proto       func(path string, dest []byte) (int, error) // reads system.sockprotoname
	kinds, next map[uint64]sockKind                         // by socket inode: the last collection's, this one's
	name        [32]byte                                    // proto's buffer

	// The fallback for sockets of unknown protocol: their count in the
	// socket tables, kept until that set of sockets changes.
	unknown     map[uint64]struct{} // this collection's, consumed by countSocketInodes
	prevUnknown map[uint64]struct{}
	prevDir     string
	prevConns   int
	buf         []byte
}

func newSockets(proto func(string, []byte) (int, error)) sockets {
	if proto == nil {
		proto = sockProtoName
	}
	return sockets{proto: proto, kinds: map[uint64]sockKind{}, next: map[uint64]sockKind{},
		unknown: map[uint64]struct{}{}, prevUnknown: map[uint64]struct{}{}}
}

// sockProtoName reads the protocol name of the socket a descriptor link
// (/proc/PID/fd/N) points to.
func sockProtoName(path string, dest []byte) (int, error) {
	return syscall.Getxattr(path, "system.sockprotoname", dest)
}

// countFDs counts the open descriptors of the process in dir (/proc/PID)
// and, among them, its TCP and UDP sockets.
func (c *Collector) countFDs(dir string) (fds, conns int, err error) {
	f, err := os.Open(dir + "/fd")
	if err != nil {
		return 0, 0, fmt.Errorf("read fds: %w", err)
	}
	entries, err := f.Readdirnames(-1)
	f.Close() // read-only directory; a close error loses nothing
	if err != nil {
		return 0, 0, fmt.Errorf("read fds: %w", err)
	}
	s := &c.socks
	clear(s.next)
	clear(s.unknown)
	var link [64]byte
	for _, e := range entries {
		n, err := syscall.Readlink(dir+"/fd/"+e, link[:])
		if err != nil { // closed since the listing
			continue
		}
		ino, ok := socketInode(link[:n])
		if !ok {
			continue
		}
		if _, dup := s.next[ino]; dup {
			continue // a socket counts once, however many descriptors it has
		}
		kind, ok := s.kinds[ino]
		if !ok {
			if kind, ok = s.kindOf(dir + "/fd/" + e); !ok {
				continue
			}
		}
		s.next[ino] = kind
		switch kind {
		case sockInet:
			conns++
		case sockUnknown:
			s.unknown[ino] = struct{}{}
		}
	}
	s.kinds, s.next = s.next, s.kinds // forget the sockets that were closed
	if len(s.unknown) > 0 {
		n, err := s.countInTables(dir)
		if err != nil {
			return 0, 0, err
		}
		conns += n
	}
	return len(entries), conns, nil
}

// kindOf reads the protocol of the socket behind the descriptor link path;
// ok is false when the descriptor was closed meanwhile.
func (s *sockets) kindOf(path string) (kind sockKind, ok bool) {
	n, err := s.proto(path, s.name[:])
	switch {
	case err == nil:
		return protoKind(s.name[:max(n, 0)]), true
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH):
		return 0, false
	default: // no sockfs attributes (ENOTSUP, ENODATA), or a name over 32 bytes
		return sockUnknown, true
	}
}

// protoKind classifies a sockfs protocol name (NUL-terminated).
func protoKind(name []byte) sockKind {
	name, _, _ = bytes.Cut(name, []byte{0})
	switch string(name) {
	case "TCP", "TCPv6", "UDP", "UDPv6", "MPTCP", "MPTCPv6":
		return sockInet
	default:
		return sockOther
	}
}

// countInTables counts the sockets of unknown protocol that the socket
// tables of the process in dir list, reading the tables only when that set
// of sockets changed since the last read.
func (s *sockets) countInTables(dir string) (int, error) {
	if dir == s.prevDir && sameSet(s.unknown, s.prevUnknown) {
		return s.prevConns, nil
	}
	// countSocketInodes removes what it matches: remember the set first.
	clear(s.prevUnknown)
	for ino := range s.unknown {
		s.prevUnknown[ino] = struct{}{}
	}
	s.prevDir = ""
	conns := 0
	for _, table := range [...]string{"/net/tcp", "/net/tcp6", "/net/udp", "/net/udp6"} {
		b, err := procfs.ReadFileInto(dir+table, &s.buf)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // no IPv6 in this kernel
				continue
			}
			return 0, fmt.Errorf("read connections: %w", err)
		}
		conns += countSocketInodes(b, s.unknown)
		if len(s.unknown) == 0 {
			break
		}
	}
	s.prevDir, s.prevConns = dir, conns
	return conns, nil
}

func sameSet(a, b map[uint64]struct{}) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// socketInode parses a descriptor link "socket:[12345]".
func socketInode(link []byte) (uint64, bool) {
	v, ok := bytes.CutPrefix(link, []byte("socket:["))
	if !ok || len(v) < 2 || v[len(v)-1] != ']' {
		return 0, false
	}
	n, err := procfs.ParseUint(v[:len(v)-1])
	return n, err == nil
}
