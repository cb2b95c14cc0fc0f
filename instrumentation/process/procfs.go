package process

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"go.opentelemetry.io/otel/semconv/v1.43.0/systemconv"

	"github.com/nexusmon/nexusmon/internal/procfs"
)

// The process is read from /proc/PID directly rather than through a
// gopsutil Process handle: gopsutil's Times re-reads /proc/stat for the
// boot time on every call, and Status and NumThreads each parse
// /proc/PID/status, where one read of /proc/PID/stat has the state, the
// threads, both CPU times and the start time (which also tells a reused
// pid from the process that had it). A collection must stay within 1 ms of
// CPU.

// procStat is what nexusmon uses of /proc/PID/stat.
type procStat struct {
	state        byte    // R, S, D, Z, T, t, X, I, ...
	user, system float64 // seconds
	threads      int64
	startTicks   uint64 // since boot, in USER_HZ ticks
}

// parseProcStat parses /proc/PID/stat. The command name (field 2) is in
// parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStat(b []byte) (procStat, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 || end+2 > len(b) {
		return procStat{}, errors.New("stat: no command name")
	}
	var f [20][]byte // fields 3..22
	n := 0
	rest := b[end+1:]
	for n < len(f) {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 {
			break
		}
		i := bytes.IndexAny(rest, " \n")
		if i < 0 {
			i = len(rest)
		}
		f[n], rest = rest[:i], rest[i:]
		n++
	}
	if n < len(f) || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("stat: %d fields after the command, want %d", n, len(f))
	}
	var v [4]uint64
	for i, idx := range [4]int{11, 12, 17, 19} { // utime, stime, num_threads, starttime
		x, err := strconv.ParseUint(string(f[idx]), 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("stat field %d: %w", idx+3, err)
		}
		v[i] = x
	}
	return procStat{state: f[0][0], user: float64(v[0]) / procfs.UserHZ, system: float64(v[1]) / procfs.UserHZ,
		threads: int64(v[2]), startTicks: v[3]}, nil
}

// stateName maps a /proc/PID/stat state letter to a nexusmon.process.state value:
// the semconv values (running, sleeping, stopped, defunct) where one
// applies, psutil's names otherwise.
func stateName(c byte) string {
	switch c {
	case 'R':
		return string(systemconv.ProcessStateRunning)
	case 'S':
		return string(systemconv.ProcessStateSleeping)
	case 'D':
		return "disk-sleep"
	case 'T', 't':
		return string(systemconv.ProcessStateStopped)
	case 'Z':
		return string(systemconv.ProcessStateDefunct)
	case 'X', 'x':
		return "dead"
	case 'I':
		return "idle"
	case 'W':
		return "waking"
	case 'P':
		return "parked"
	default:
		return "unknown"
	}
}

// parseBootTime returns btime (seconds since the Unix epoch) from
// /proc/stat.
func parseBootTime(b []byte) (int64, error) {
	for len(b) > 0 {
		var line []byte
		line, b = procfs.NextLine(b)
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil || n <= 0 {
				return 0, errors.New("/proc/stat: bad btime")
			}
			return n, nil
		}
	}
	return 0, errors.New("/proc/stat: no btime")
}

// parseMemTotal returns MemTotal in bytes from /proc/meminfo.
func parseMemTotal(b []byte) (uint64, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	v, ok := bytes.CutPrefix(line, []byte("MemTotal:"))
	if !ok {
		return 0, errors.New("/proc/meminfo: MemTotal is not the first line")
	}
	v = bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))
	n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
	if err != nil || n == 0 {
		return 0, errors.New("/proc/meminfo: bad MemTotal")
	}
	return n * 1024, nil
}

// countSocketInodes counts the sockets of a /proc/PID/net/{tcp,
// tcp6,udp,udp6} table (a header line, then field 10 is the inode) whose
// inode is in own, and removes them from own. The table lists the whole
// network namespace; own restricts it to the process's descriptors. It
// stops when own is empty.
func countSocketInodes(b []byte, own map[uint64]struct{}) int {
	n := 0
	_, b = procfs.NextLine(b) // header
	for len(b) > 0 && len(own) > 0 {
		var line []byte
		line, b = procfs.NextLine(b)
		field := 0
		for len(line) > 0 && field < 10 {
			line = bytes.TrimLeft(line, " ")
			i := bytes.IndexByte(line, ' ')
			if i < 0 {
				i = len(line)
			}
			if field == 9 {
				if ino, err := procfs.ParseUint(line[:i]); err == nil {
					if _, ok := own[ino]; ok {
						n++
						delete(own, ino) // count a socket once even if dup'ed
					}
				}
			}
			line = line[i:]
			field++
		}
	}
	return n
}
