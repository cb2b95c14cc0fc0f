package process

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"
	"unsafe"

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

	dirents []byte // countFDs's getdents buffer

	// The descriptors of the last full pass (every link read): their
	// names, NUL-terminated one after another in listing order, what each
	// was (socket inode; 0: not a socket, or unreadable), and the pass's
	// result. names is this pass's listing. See listFDs.
	names, lastNames []byte
	lastInos         []uint64
	lastConns        int
	passes           int // collections since the last full pass
	linksRead        int // readlinkat calls, for tests
	listings         int // getdents passes, for tests
}

// verifyEvery is how many collections a link stays unread while the
// process's descriptor numbers stay the same: each collection reads every
// verifyEvery-th link, in turn (listFDs).
const verifyEvery = 4

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

// countFDs counts the open descriptors of the process whose descriptor
// directory (/proc/PID/fd) is fdDir and, among them, its TCP and UDP
// sockets. The directory is kept open (files.go) and read again from the
// start (lseek to 0) with getdents into a buffer kept between
// collections, and each link with readlinkat relative to it (one path
// component to resolve, no string per descriptor); the directory's own
// descriptor is among those it lists, as any reader's is. A kept directory
// that fails to read is closed and opened again, once.
func (c *Collector) countFDs() (fds, conns int, err error) {
	kept := c.fdDirFD >= 0
	fds, conns, err = c.listFDs()
	if err != nil && kept {
		fds, conns, err = c.listFDs() // listFDs closed it: opened again
	}
	return fds, conns, err
}

// listFDs is one pass of countFDs: the listing, then the links (all of
// them, or a share while the listing is the last full pass's: sameFDs). It
// closes the directory when it fails.
func (c *Collector) listFDs() (fds, conns int, err error) {
	s := &c.socks
	if c.fdDirFD < 0 {
		fd, err := openDir(&c.fdDir[0])
		if err != nil {
			return 0, 0, fmt.Errorf("read fds: %w", &fs.PathError{Op: "open", Path: c.fdDirName(), Err: err})
		}
		c.setFDDir(fd)
	} else {
		if n, ok := c.fdCount(); ok && s.lastInos != nil && n == len(s.lastInos) {
			if conns, ok := c.sameFDs(c.fdDirFD, false); ok {
				return n, conns, nil
			}
		}
		if err := seekStart(c.fdDirFD); err != nil {
			c.closeFDDir()
			return 0, 0, fmt.Errorf("read fds: %w", &fs.PathError{Op: "seek", Path: c.fdDirName(), Err: err})
		}
	}
	dfd := c.fdDirFD
	s.listings++
	if s.dirents == nil {
		s.dirents = make([]byte, 8192)
	}
	s.names = s.names[:0]
	for {
		n, err := syscall.ReadDirent(dfd, s.dirents)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			c.closeFDDir()
			return 0, 0, fmt.Errorf("read fds: %w", &fs.PathError{Op: "getdents", Path: c.fdDirName(), Err: err})
		}
		if n <= 0 {
			break
		}
		for buf := s.dirents[:n]; len(buf) > 0; {
			name, rest, ok := nextDirent(buf)
			if !ok {
				break
			}
			buf = rest
			if name != nil { // not ., .. or a deleted entry
				s.names = append(s.names, name...)
				fds++
			}
		}
	}
	if conns, ok := c.sameFDs(dfd, true); ok {
		return fds, conns, nil
	}
	conns, err = c.classifyFDs(dfd)
	return fds, conns, err
}

// fdCount returns the number of the process's open descriptors without
// listing them: since Linux 6.2 the size of a procfs fd directory is that
// count (0 before). It is one fstat, where a listing (getdents, a dentry
// per descriptor) cost about as much as the rest of the process's
// collection.
func (c *Collector) fdCount() (int, bool) {
	if !c.fdDirProc {
		return 0, false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(c.fdDirFD, &st); err != nil || st.Size <= 0 {
		return 0, false
	}
	return int(st.Size), true
}

// sameFDs reports whether the process's descriptors are those of the last
// full pass and, when they are, returns its connection count. Reading
// every link is most of a collection's cost (a readlinkat of about 2.5 µs
// per descriptor), and a process's descriptors change far less often than
// it is collected: while they look the same, sameFDs reads every
// verifyEvery-th link, a different share each time, and any link that
// changed (a descriptor closed, or its number reused for another file or
// socket) makes the caller list them and read them all. With listed (the
// numbers just listed, in s.names), the same numbers must be listed; else
// only the count is known to be the same (fdCount), and a descriptor
// opened while another closed is seen when the closed one's turn comes.
// Either way, a number reused or a descriptor swapped for another is seen
// within verifyEvery collections, and one opened or closed at once.
func (c *Collector) sameFDs(dfd int, listed bool) (conns int, same bool) {
	s := &c.socks
	if s.lastInos == nil || (listed && !bytes.Equal(s.names, s.lastNames)) {
		return 0, false
	}
	s.passes++
	var link [64]byte
	i := 0
	for names := s.lastNames; len(names) > 0; i++ {
		end := bytes.IndexByte(names, 0)
		name := names[:end+1]
		names = names[end+1:]
		if (i+s.passes)%verifyEvery != 0 {
			continue
		}
		s.linksRead++
		ln, err := readlinkat(dfd, &name[0], link[:])
		if err != nil { // closed
			return 0, false
		}
		if ino, _ := socketInode(link[:ln]); ino != s.lastInos[i] {
			return 0, false
		}
	}
	return s.lastConns, true
}

// classifyFDs reads the link of every descriptor listed (s.names) and
// returns how many are TCP or UDP sockets; it records them for sameFDs.
func (c *Collector) classifyFDs(dfd int) (conns int, err error) {
	s := &c.socks
	clear(s.next)
	clear(s.unknown)
	s.lastInos = s.lastInos[:0]
	var link [64]byte
	for names := s.names; len(names) > 0; {
		end := bytes.IndexByte(names, 0)
		name := names[:end+1]
		names = names[end+1:]
		s.linksRead++
		ln, err := readlinkat(dfd, &name[0], link[:])
		if err != nil { // closed since the listing
			s.lastInos = append(s.lastInos, 0)
			continue
		}
		ino, ok := socketInode(link[:ln])
		s.lastInos = append(s.lastInos, ino)
		if !ok {
			continue
		}
		if _, dup := s.next[ino]; dup {
			continue // a socket counts once, however many descriptors it has
		}
		kind, ok := s.kinds[ino]
		if !ok {
			// The attribute needs a path: built for a new socket only.
			if kind, ok = s.kindOf(c.fdDirName() + "/" + string(name[:len(name)-1])); !ok {
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
		n, err := s.countInTables(c.dir)
		if err != nil {
			s.lastInos = nil // no result to keep
			return 0, err
		}
		conns += n
	}
	s.names, s.lastNames = s.lastNames, s.names
	s.lastConns, s.passes = conns, 0
	return conns, nil
}

// fdDirName is the descriptor directory's path, without its NUL.
func (c *Collector) fdDirName() string { return string(c.fdDir[:len(c.fdDir)-1]) }

// nextDirent parses the first linux_dirent64 record of buf (ino u64, off
// i64, reclen u16, type u8, NUL-terminated name). name is the entry's
// name with its NUL, nil for ., .. and a deleted entry (inode 0); ok is
// false when buf holds no whole record.
func nextDirent(buf []byte) (name, rest []byte, ok bool) {
	const nameOff = 19
	if len(buf) < nameOff+1 {
		return nil, nil, false
	}
	reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
	if reclen <= nameOff || reclen > len(buf) {
		return nil, nil, false
	}
	rec, rest := buf[:reclen], buf[reclen:]
	end := bytes.IndexByte(rec[nameOff:], 0)
	if end <= 0 {
		return nil, rest, true
	}
	name = rec[nameOff : nameOff+end+1]
	if binary.NativeEndian.Uint64(rec[:8]) == 0 || string(name) == ".\x00" || string(name) == "..\x00" {
		return nil, rest, true
	}
	return name, rest, true
}

// openDir opens the directory whose NUL-terminated path starts at path,
// without an os.File: no netpoller registration, no finalizer.
func openDir(path *byte) (int, error) {
	for {
		cwd := atFDCWD
		fd, _, e := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(path)),
			syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC|syscall.O_LARGEFILE, 0, 0, 0)
		switch e {
		case 0:
			return int(fd), nil
		case syscall.EINTR:
			continue
		default:
			return -1, e
		}
	}
}

// seekStart rewinds the directory fd to its first entry, so that the next
// getdents lists the descriptors open now.
func seekStart(fd int) error {
	_, err := syscall.Seek(fd, 0, io.SeekStart)
	return err
}

// atFDCWD is AT_FDCWD: a relative path is relative to the working
// directory, as with open.
const atFDCWD int = -0x64

// readlinkat reads the target of the link whose NUL-terminated name,
// relative to the directory dirfd, starts at name.
func readlinkat(dirfd int, name *byte, buf []byte) (int, error) {
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		default:
			return 0, e
		}
	}
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
