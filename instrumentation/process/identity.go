package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/nexusmon/nexusmon/internal/procfs"
)

// Identity tells one process from another: its pid, and its start time,
// which tells it from a later process that reuses the pid. It is what
// internal/procres makes a process's resource from.
type Identity struct {
	PID int
	// StartTicks is the start time in clock ticks since boot (field 22 of
	// /proc/PID/stat); 0 when no process has PID.
	StartTicks uint64
	// ExecutableName is semconv's process.executable.name: the base name of
	// /proc/PID/exe's target, else (exe unreadable: another user's process)
	// the command name of /proc/PID/stat; "" when no process has PID.
	ExecutableName string
}

// An Identifier identifies processes below one proc file system, and
// tells cheaply whether a process it identified may have changed (Open,
// Changed). Its methods are not safe for concurrent use.
type Identifier struct {
	root string // resolved once, at construction
	// own is true when root is /proc: its pids are this process's pid
	// namespace's, those that pidfd_open takes and os.Getpid returns.
	own     bool
	self    int
	noPIDFD bool // pidfd_open is unavailable (ENOSYS, EPERM): not tried again
	buf     []byte
}

// NewIdentifier returns an Identifier of the processes below root ("" :
// $HOST_PROC, else /proc, read now).
func NewIdentifier(root string) *Identifier {
	root = procRootOr(root)
	return &Identifier{root: root, own: root == "/proc", self: os.Getpid()}
}

// Root is the proc file system, resolved.
func (r *Identifier) Root() string { return r.root }

// Identify reads the identity of pid. A pid without a process is not an
// error: StartTicks is 0. A pid that is not positive is.
func (r *Identifier) Identify(pid int) (Identity, error) {
	if pid <= 0 {
		return Identity{}, fmt.Errorf("invalid pid %d", pid)
	}
	id := Identity{PID: pid}
	dir := r.root + "/" + strconv.Itoa(pid)
	b, err := procfs.ReadFileInto(dir+"/stat", &r.buf)
	if err != nil {
		if classify(err) == stateNotRunning {
			return id, nil
		}
		return id, fmt.Errorf("read stat: %w", err)
	}
	ps, err := parseProcStat(b)
	if err != nil {
		return id, err
	}
	id.StartTicks = ps.startTicks
	if exe, err := os.Readlink(dir + "/exe"); err == nil && exe != "" {
		id.ExecutableName = filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
	} else if i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')'); i >= 0 && j > i {
		id.ExecutableName = string(b[i+1 : j])
	}
	return id, nil
}

// A Handle is a process identified by Open, with what tells whether the
// process under its pid may have changed since (Identifier.Changed): a
// pidfd when the kernel has them, else the start time. Close releases it.
type Handle struct {
	Identity
	pidfd    int // valid when hasPIDFD (a zero Handle holds no descriptor)
	hasPIDFD bool
	self     bool   // the calling process, which cannot change
	stat     string // its /proc/PID/stat
}

// Open identifies pid as Identify does, and keeps what Changed needs. For
// a pid of this pid namespace whose identity was read it opens a pidfd,
// before reading the identity, so that the pidfd is of the process
// identified or of one that exited before (which Changed sees).
func (r *Identifier) Open(pid int) (*Handle, error) {
	h := &Handle{}
	if r.own && pid == r.self {
		h.self = true
	} else if r.own && pid > 0 && !r.noPIDFD {
		fd, err := pidfdOpen(pid)
		switch {
		case err == nil:
			h.pidfd, h.hasPIDFD = fd, true
		case errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EPERM):
			r.noPIDFD = true // no pidfds here (old kernel, seccomp): the start time is compared
		}
	}
	var err error
	h.Identity, err = r.Identify(pid)
	h.stat = r.root + "/" + strconv.Itoa(pid) + "/stat"
	if h.StartTicks == 0 {
		// No process, or unreadable: the start time is read again at each
		// Changed, as the process may appear or become readable.
		h.closePIDFD()
		h.self = false
	}
	return h, err
}

// Changed reports whether the process under h.PID may no longer be h's,
// reading as little as it can. The calling process never changes. While
// h's pidfd polls unreadable (its process runs) nothing changed. Once it
// polls readable (the process exited; the pidfd is closed then), and
// without a pidfd, the pid's start time is read: it changed when that is
// neither h's nor 0 (no process, or unreadable: nothing tells it is
// another). A changed process is identified again with Open.
func (r *Identifier) Changed(h *Handle) bool {
	if h.self {
		return false
	}
	if h.hasPIDFD {
		if !pidfdExited(h.pidfd) {
			return false
		}
		h.closePIDFD()
	}
	b, err := procfs.ReadFileInto(h.stat, &r.buf)
	if err != nil {
		return false
	}
	ps, err := parseProcStat(b)
	if err != nil {
		return false
	}
	return ps.startTicks != 0 && ps.startTicks != h.StartTicks
}

// Close releases h's pidfd. Close is idempotent.
func (h *Handle) Close() error {
	h.closePIDFD()
	return nil
}

func (h *Handle) closePIDFD() {
	if h.hasPIDFD {
		_ = syscall.Close(h.pidfd) // a pidfd holds no data to lose
		h.pidfd, h.hasPIDFD = 0, false
	}
}

// ReadPIDFile returns the pid a pid file names (its first line: a
// positive decimal pid, surrounding spaces allowed).
func ReadPIDFile(path string) (int, error) {
	var buf []byte
	return readPIDFile(path, &buf)
}

// ReadPIDFile is ReadPIDFile with a buffer kept between calls.
func (r *Identifier) ReadPIDFile(path string) (int, error) {
	return readPIDFile(path, &r.buf)
}

// readPIDFile reads without an os.File (no poller registration, no fstat):
// the pid file is read before every collection.
func readPIDFile(path string, buf *[]byte) (int, error) {
	b, err := procfs.ReadFileInto(path, buf)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	return parsePIDFile(b)
}

// procRootOr returns root, else $HOST_PROC, else /proc.
func procRootOr(root string) string {
	if root == "" {
		root = os.Getenv("HOST_PROC")
	}
	if root == "" {
		root = "/proc"
	}
	return root
}
