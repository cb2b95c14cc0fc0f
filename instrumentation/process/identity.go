package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// Identify reads the identity of pid below root ("" : $HOST_PROC, else
// /proc). A pid without a process is not an error: StartTicks is 0. A pid
// that is not positive is.
func Identify(root string, pid int) (Identity, error) {
	if pid <= 0 {
		return Identity{}, fmt.Errorf("invalid pid %d", pid)
	}
	id := Identity{PID: pid}
	dir := procRootOr(root) + "/" + strconv.Itoa(pid)
	var buf []byte
	b, err := procfs.ReadFileInto(dir+"/stat", &buf)
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
	} else if i, j := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')'); i >= 0 && j > i {
		id.ExecutableName = string(b[i+1 : j])
	}
	return id, nil
}

// ReadPIDFile returns the pid a pid file names (its first line: a
// positive decimal pid, surrounding spaces allowed).
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
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
