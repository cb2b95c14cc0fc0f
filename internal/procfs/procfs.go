// Package procfs holds the pure helpers nexusmon's host and process
// collectors share for reading Linux /proc files on every collection:
// reading a whole file into a reused buffer with raw syscalls (opened each
// time, ReadFileInto, or kept open and read again from offset 0, File),
// and splitting and parsing its bytes without allocating per line or
// field.
//
// It must stay free of OTel, logging and global state: callers own their
// buffers and their locking, and decide how to report errors. A collection
// must stay within 1 ms of CPU, which is why nothing here goes through
// os.File or bufio.
package procfs

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"unsafe"
)

// UserHZ is the unit of the CPU times in /proc/stat and /proc/PID/stat.
// The kernel exports USER_HZ = 100 on every architecture, whatever its
// internal HZ (sysconf(_SC_CLK_TCK) returns the same constant).
const UserHZ = 100

// ReadFileInto reads a whole (proc) file into *buf with raw syscalls:
// open, read until EOF, close. It avoids os.File's poller registration and
// finalizer, and reuses the buffer across collections: the returned slice
// aliases *buf and is valid until the next call with the same buffer.
// Errors are *PathError values.
func ReadFileInto(path string, buf *[]byte) ([]byte, error) {
	fd, err := open(path)
	if err != nil {
		return nil, &PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd) // read-only; a close error loses nothing
	if cap(*buf) < 4096 {
		*buf = make([]byte, 0, 4096)
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := syscall.Read(fd, b[len(b):cap(b)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	*buf = b
	return b, nil
}

// open opens path read-only. A path that fits (every /proc path does) is
// NUL-terminated in an array on the stack rather than copied to the heap,
// as syscall.Open does: a collection opens a dozen files a second.
func open(path string) (int, error) {
	var name [256]byte
	if len(path) >= len(name) {
		return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	}
	if strings.IndexByte(path, 0) >= 0 {
		return -1, syscall.EINVAL
	}
	copy(name[:], path)
	for {
		r, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(&name[0])),
			syscall.O_RDONLY|syscall.O_CLOEXEC, 0, 0, 0)
		switch errno {
		case 0:
			return int(r), nil
		case syscall.EINTR:
			continue
		default:
			return -1, errno
		}
	}
}

// atFDCWD is AT_FDCWD (-100): a relative path is resolved against the
// working directory, as open(2) does.
const atFDCWD = ^uintptr(99)

// PathError is fs.PathError without importing os into the hot path; it
// unwraps to the errno so errors.Is(err, fs.ErrNotExist) works.
type PathError struct {
	Op, Path string
	Err      error
}

// Error returns "op path: err", as fs.PathError does.
func (e *PathError) Error() string { return e.Op + " " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying errno.
func (e *PathError) Unwrap() error { return e.Err }

// NextLine splits b at the first newline. Without one, line is all of b
// and rest is nil.
func NextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// Fields splits line on spaces and tabs into dst, reusing its storage. The
// fields alias line.
func Fields(line []byte, dst [][]byte) [][]byte {
	dst = dst[:0]
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if j > i {
			dst = append(dst, line[i:j])
		}
		i = j
	}
	return dst
}

// ParseUint parses a non-empty string of decimal digits without
// allocating. A sign, any other byte or a value over 2^64-1 is an error.
func ParseUint(b []byte) (uint64, error) {
	var n uint64
	if len(b) == 0 {
		return 0, errSyntax
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errSyntax
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, errSyntax
		}
		n = n*10 + d
	}
	return n, nil
}

var errSyntax = errors.New("invalid number")
