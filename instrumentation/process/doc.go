// Package process observes one process, the bot, through OpenTelemetry
// instruments (scope names.ScopeProcess): memory (RSS, virtual, shared,
// data, and RSS as a fraction of MemTotal), cumulative CPU time, threads,
// open file descriptors, inet connections, creation time, uptime and
// status. Every point carries process.pid.
//
// The process is named by pid or by a pid file that is re-read on every
// collection, so a restarted bot is followed. A missing pid file or a
// process that has exited is not an error for the agent: the
// nexusmon.collector.success gauge (nexusmon.collector="process") reads 0,
// and collection resumes when the process comes back. Meanwhile the only
// other point is nexusmon.process.status with the watched pid and
// nexusmon.process.state StateNotFound (no such process), defunct or dead (exited, not yet
// reaped) or unknown (unreadable), so that reports can name the pid;
// without a pid (pid file missing or invalid) there is none. Only the followed process's own /proc entries are read;
// nothing machine-wide is scanned.
package process
