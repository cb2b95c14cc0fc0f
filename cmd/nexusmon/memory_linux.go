package main

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// madvPageout is MADV_PAGEOUT (Linux 5.4+); package syscall lacks the name.
// It also evicts the pages from the page cache when the agent is their only
// mapper, so a page faults back alone, read from the file (MADV_RANDOM: no
// read-ahead), and the kernel's fault-around, which maps the cached pages
// around a fault, finds few to map: what comes back is what the agent runs.
// MADV_DONTNEED, tried instead, leaves them cached: faults are cheaper (no
// I/O; 18 % less CPU per report in the first half minute after a trim) but
// fault-around maps their neighbours back, 13 MiB of the file resident
// against 9 (docs/decisions.md).
const madvPageout = 21

// releaseStartupPages asks the kernel to drop this executable's resident
// file pages. Package initialisation alone makes about 13.6 MiB of the
// 20 MB binary resident (the kernel's fault-around maps the cached
// neighbours of every page touched); without this those clean, shared
// pages stay in the agent's RSS for its whole life. Pages the agent
// still uses fault back in from the page cache. Only the daemon does this
// (never the library inside a bot), and a failure changes nothing but RSS.
func releaseStartupPages(log *slog.Logger) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		log.Debug("release startup pages", "err", err)
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		log.Debug("release startup pages", "err", err)
		return
	}
	defer f.Close() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != exe || strings.Contains(fs[1], "w") {
			continue // only the executable's read-only (clean) mappings
		}
		lo, hi, ok := strings.Cut(fs[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// The range is a mapping of this process, not Go memory: pass it as
		// integers rather than forming a pointer to it.
		for _, advice := range []uintptr{syscall.MADV_RANDOM, madvPageout} {
			if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), advice); errno != 0 {
				log.Debug("release startup pages", "advice", advice, "err", errno)
				return
			}
		}
	}
	if err := dropCachedPages(exe); err != nil {
		log.Debug("release startup pages", "advice", "POSIX_FADV_DONTNEED", "err", err)
	}
}

// fadvDontNeed is POSIX_FADV_DONTNEED.
const fadvDontNeed = 4

// dropCachedPages drops the pages of the file at path that are in the
// page cache but mapped by no process. For the executable: read ahead of
// the agent's faults before the first trim, they outlive MADV_PAGEOUT
// (which sees only mapped pages), and the kernel's fault-around maps them
// around every later fault, so that the resident set grew back larger
// after each 5-minute trim than it was before it. Pages another process
// maps are left alone.
func dropCachedPages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close() // read-only
	if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); errno != 0 {
		return errno
	}
	return nil
}

// trimMemory keeps the daemon's resident set to what it uses: once the
// first collections ran, and then every 5 minutes (the health report, whose
// chart draws with fonts and allocates about 5 MB, runs that often), it
// returns freed heap to the OS and drops executable pages that are not in
// use. Each round costs a few milliseconds of CPU.
func trimMemory(ctx context.Context, log *slog.Logger) {
	wait := 2 * time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		debug.FreeOSMemory()
		releaseStartupPages(log)
		wait = 5 * time.Minute
	}
}
