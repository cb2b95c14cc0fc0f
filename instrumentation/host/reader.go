package host

import (
	"context"
	"os"
	"path/filepath"

	pscommon "github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"

	"github.com/nexusmon/nexusmon/internal/procfs"
)

// reader is every operating-system call the host sources make. The
// production implementation is psReader; tests substitute fixture roots or
// wrap it to inject failures. Implementations need not be safe for
// concurrent use: the Collector serialises collections.
type reader interface {
	cpuCounts(ctx context.Context) (logical, physical int, err error)
	partitions(ctx context.Context) ([]disk.PartitionStat, error)
	usage(ctx context.Context, mountpoint string) (*disk.UsageStat, error)
	// readProc returns a file below the proc root. The slice is valid
	// until the next readProc call.
	readProc(name string) ([]byte, error)
	// close releases what the reader keeps open between collections.
	close()
	readSys(name string) ([]byte, error)   // a file below the sys root
	listSys(name string) ([]string, error) // entry names of a directory below the sys root
	isDir(path string) bool                // whether a mount point is a directory
}

// psReader reads through gopsutil v4 and the file system. procRoot and
// sysRoot default to HOST_PROC / HOST_SYS (as gopsutil does) or /proc and
// /sys, so a containerised agent can watch the host's mounted /proc.
type psReader struct {
	procRoot string
	sysRoot  string
	env      pscommon.EnvMap // nil when both roots are gopsutil's defaults
	buf      []byte          // readProc's buffer, reused
	// files are the proc files read at every collection, by name, kept
	// open (see readProc).
	files map[string]*procfs.File
}

func newPSReader(procRoot, sysRoot string) *psReader {
	r := &psReader{procRoot: procRoot, sysRoot: sysRoot}
	if r.procRoot == "" {
		r.procRoot = envOr("HOST_PROC", "/proc")
	} else {
		r.env = pscommon.EnvMap{pscommon.HostProcEnvKey: procRoot}
	}
	if r.sysRoot == "" {
		r.sysRoot = envOr("HOST_SYS", "/sys")
	} else {
		if r.env == nil {
			r.env = pscommon.EnvMap{}
		}
		r.env[pscommon.HostSysEnvKey] = sysRoot
	}
	return r
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// with passes explicit roots to gopsutil through its context key.
func (r *psReader) with(ctx context.Context) context.Context {
	if r.env == nil {
		return ctx
	}
	return context.WithValue(ctx, pscommon.EnvKey, r.env)
}

func (r *psReader) cpuCounts(ctx context.Context) (int, int, error) {
	ctx = r.with(ctx)
	logical, err := cpu.CountsWithContext(ctx, true)
	if err != nil {
		return 0, 0, err
	}
	physical, err := cpu.CountsWithContext(ctx, false)
	if err != nil {
		return 0, 0, err
	}
	return logical, physical, nil
}

func (r *psReader) partitions(ctx context.Context) ([]disk.PartitionStat, error) {
	// all=true: the block-device filter is ours (see filesystem.go), so that
	// an overlay root in a container is still reported.
	return disk.PartitionsWithContext(r.with(ctx), true)
}

func (r *psReader) usage(ctx context.Context, mountpoint string) (*disk.UsageStat, error) {
	return disk.UsageWithContext(r.with(ctx), mountpoint)
}

// readProc reads the files of every collection (keptOpen) through a File
// kept open and read again from offset 0 (their content is generated at
// each read): a pread instead of an openat, reads and a close. A kept file
// that fails to read is closed and opened again, once; the rest (read
// once a minute) is opened at each read.
func (r *psReader) readProc(name string) ([]byte, error) {
	if !keptOpen(name) {
		return procfs.ReadFileInto(filepath.Join(r.procRoot, name), &r.buf)
	}
	if f := r.files[name]; f != nil {
		b, err := f.ReadInto(&r.buf)
		if err == nil {
			return b, nil
		}
		_ = f.Close()
		delete(r.files, name)
	}
	f, err := procfs.OpenFile(filepath.Join(r.procRoot, name))
	if err != nil {
		return nil, err
	}
	b, err := f.ReadInto(&r.buf)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if r.files == nil {
		r.files = map[string]*procfs.File{}
	}
	r.files[name] = f
	return b, nil
}

// keptOpen tells the proc files read at every collection.
func keptOpen(name string) bool {
	switch name {
	case "stat", "meminfo", "loadavg", "diskstats", "net/dev":
		return true
	}
	return false
}

// close closes the kept files; a later readProc opens them again.
func (r *psReader) close() {
	for name, f := range r.files {
		_ = f.Close()
		delete(r.files, name)
	}
}

func (r *psReader) readSys(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(r.sysRoot, name))
}

func (r *psReader) listSys(name string) ([]string, error) {
	f, err := os.Open(filepath.Join(r.sysRoot, name))
	if err != nil {
		return nil, err
	}
	defer f.Close() // read-only directory; a close error changes nothing
	return f.Readdirnames(-1)
}

func (r *psReader) isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
