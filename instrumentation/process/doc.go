// Package process observes one process, the bot, through OpenTelemetry
// instruments (scope names.ScopeProcess): memory (RSS, virtual, shared,
// data, and RSS as a fraction of MemTotal), cumulative CPU time, threads,
// open file descriptors, inet connections, creation time, uptime and
// status.
//
// The points carry no process.pid: the process is the resource of the
// MeterProvider they are recorded in, one provider per process
// (internal/procres builds them, with the pid, start time and executable
// name an Identifier reads, and follows a pid file with its ReadPIDFile
// outside any collection; a Handle tells it when to identify again). A Collector observes one pid; with Options.StartTicks, only
// the process that started then, not a later one reusing the pid.
//
// A process that has exited is not an error for the agent: the
// nexusmon.collector.success gauge (nexusmon.collector="process", recorded
// in Options.Health) reads 0, and the only other point is
// nexusmon.process.status with nexusmon.process.state StateNotFound (no
// such process), defunct or dead (exited, not yet reaped) or unknown
// (unreadable), so that reports can name the pid. Only the observed
// process's own /proc entries are read; nothing machine-wide is scanned.
package process
