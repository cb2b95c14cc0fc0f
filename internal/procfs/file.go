package procfs

import "syscall"

// A File is a /proc file kept open between collections and read again from
// offset 0 each time, as Netdata does: a collection then costs one pread
// per read instead of an openat, the reads and a close. The kernel's
// seq_file proc files (/proc/stat, meminfo, loadavg, diskstats, net/dev,
// /proc/PID/stat and statm, …) regenerate their content when read at
// offset 0, so every ReadInto sees the current values. A File of a
// /proc/PID directory stays bound to that process: once it is gone, reads
// fail with ESRCH, even if another process gets the pid.
//
// A File is not safe for concurrent use.
type File struct {
	fd   int // -1 once closed
	path string
}

// OpenFile opens path read-only and close-on-exec, without an os.File (no
// poller registration, no finalizer). Errors are *PathError values.
func OpenFile(path string) (*File, error) {
	fd, err := open(path)
	if err != nil {
		return nil, &PathError{Op: "open", Path: path, Err: err}
	}
	return &File{fd: fd, path: path}, nil
}

// Path returns the path f was opened with.
func (f *File) Path() string { return f.path }

// ReadInto reads f whole, from offset 0 to EOF with pread, into *buf, as
// ReadFileInto does: the returned slice aliases *buf and is valid until the
// next call with the same buffer. Errors are *PathError values; a closed
// File fails with EBADF.
func (f *File) ReadInto(buf *[]byte) ([]byte, error) {
	if f.fd < 0 {
		return nil, &PathError{Op: "read", Path: f.path, Err: syscall.EBADF}
	}
	if cap(*buf) < 4096 {
		*buf = make([]byte, 0, 4096)
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := syscall.Pread(f.fd, b[len(b):cap(b)], int64(len(b)))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &PathError{Op: "read", Path: f.path, Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	*buf = b
	return b, nil
}

// Close closes f. Close is idempotent; a close error of a read-only file
// loses nothing and is not reported.
func (f *File) Close() error {
	if f.fd >= 0 {
		_ = syscall.Close(f.fd)
		f.fd = -1
	}
	return nil
}
