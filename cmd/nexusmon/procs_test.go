package main

import (
	"runtime"
	"testing"
)

// The daemon runs on one P unless GOMAXPROCS is set in its environment.
func TestDaemonProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	runtime.GOMAXPROCS(3)
	daemonProcs(func(k string) string {
		if k == "GOMAXPROCS" {
			return "3"
		}
		return ""
	})
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("with GOMAXPROCS=3 set: GOMAXPROCS %d, want 3 (left alone)", n)
	}
	daemonProcs(func(string) string { return "" })
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("without GOMAXPROCS set: GOMAXPROCS %d, want 1", n)
	}
}

// The daemon samples heap allocations only with http.pprof on.
func TestDaemonHeapSampling(t *testing.T) {
	before := runtime.MemProfileRate
	t.Cleanup(func() { runtime.MemProfileRate = before })
	const rate = 512 << 10 // the runtime's default (another test may have run the daemon in this process)
	runtime.MemProfileRate = rate
	daemonHeapSampling(true)
	if runtime.MemProfileRate != rate {
		t.Errorf("http.pprof on: MemProfileRate %d, want %d left as it was (sampling on)", runtime.MemProfileRate, rate)
	}
	daemonHeapSampling(false)
	if runtime.MemProfileRate != 0 {
		t.Errorf("http.pprof off: MemProfileRate %d, want 0", runtime.MemProfileRate)
	}
}
