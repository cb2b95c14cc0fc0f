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

func (r *psReader) readProc(name string) ([]byte, error) {
	return procfs.ReadFileInto(filepath.Join(r.procRoot, name), &r.buf)
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
