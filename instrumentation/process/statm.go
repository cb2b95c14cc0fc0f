package process

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// statm is /proc/PID/statm in bytes.
type statm struct {
	vms, rss, shared, text, data uint64
}

// parseStatm parses /proc/PID/statm: size resident shared text lib data dt,
// in pages. data is field 6 (data + stack), the value psutil reports as
// "data"; gopsutil's MemoryInfoEx labels that field Dirty, so it is read
// here directly.
func parseStatm(s string, pageSize uint64) (statm, error) {
	f := strings.Fields(s)
	if len(f) < 6 {
		return statm{}, fmt.Errorf("statm: %d fields, want at least 6", len(f))
	}
	var v [6]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return statm{}, fmt.Errorf("statm field %d: %w", i+1, err)
		}
		v[i] = n * pageSize
	}
	return statm{vms: v[0], rss: v[1], shared: v[2], text: v[3], data: v[5]}, nil
}

// errNoPID reports a pid file without a usable pid.
var errNoPID = errors.New("no pid")

// parsePIDFile reads the first line of a pid file: a positive decimal pid,
// surrounding spaces allowed (systemd, start-stop-daemon and most bots
// write "1234\n").
func parsePIDFile(b []byte) (int, error) {
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return 0, fmt.Errorf("pid file empty: %w", errNoPID)
	}
	pid, err := strconv.Atoi(line)
	if err != nil || pid <= 0 || pid > 1<<22 { // PID_MAX_LIMIT on 64-bit Linux
		return 0, fmt.Errorf("pid file content %q: %w", truncate(line, 32), errNoPID)
	}
	return pid, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
