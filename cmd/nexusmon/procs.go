package main

import "runtime"

// daemonProcs gives `nexusmon run` one P (GOMAXPROCS=1) unless the
// GOMAXPROCS environment variable sets the number. The daemon's work is a
// few milliseconds a second in short bursts; with a second P idle, every
// goroutine the burst starts or readies (SQLite's and database/sql's
// watchers, the GC's workers, timers) wakes another thread, and the
// runtime re-reads the cgroup CPU limit every second to adjust GOMAXPROCS.
// On the 2-core machine of bench/peers.sh one P cost 10 to 20 % less CPU
// per system report (docs/decisions.md, "Performance (issue 14)"). Only
// the daemon does this, never the library inside a bot.
func daemonProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

// daemonHeapSampling turns the runtime's sampling of heap allocations off
// for `nexusmon run` unless http.pprof is on, whose heap and allocs
// profiles are made of those samples (the first request to /debug/pprof/
// turns it back on when a reload turned http.pprof on:
// agent/internal/httpapi). Each sample walks the allocating goroutine's
// stack (reading the function tables of the executable, pages the agent's
// start-up trim had dropped) and keeps a record per distinct stack, in a
// 1.4 MB hash table allocated at the first sample. Side by side at one
// report a second, two copies of the same build: 9 to 10 % less CPU over
// the first 90 s and 0.1 to 0.3 MiB less resident memory with sampling off
// (docs/decisions.md). With http.pprof on the rate is left as it is (the
// runtime's default, or GODEBUG=memprofilerate).
func daemonHeapSampling(pprof bool) {
	if !pprof {
		runtime.MemProfileRate = 0
	}
}
