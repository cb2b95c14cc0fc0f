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
