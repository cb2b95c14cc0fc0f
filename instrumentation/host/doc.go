// Package host registers machine-wide instruments on an OpenTelemetry
// MeterProvider: the contrib host instrumentation (totals) and nexusmon's own
// instruments (per-core CPU time, CPU counts and frequency, load average,
// memory states, swap, filesystems, disk I/O and per-interface network
// counters), each source with nexusmon.collector.success and
// nexusmon.collector.duration gauges.
//
// The files read on every collection (/proc/stat, meminfo, loadavg,
// diskstats, net/dev) are kept open from the first collection until Stop
// and read again from offset 0, and parsed here with reused buffers, to
// keep a collection within its CPU budget; gopsutil v4 serves the rarely read
// parts (CPU counts, the mount table, statfs). HOST_PROC and HOST_SYS move
// the /proc and /sys roots, as they do for gopsutil.
//
// Instruments are observable: values are read when a reader collects, and
// counters are cumulative. Nothing here computes rates, because every reader
// of a MeterProvider runs the callbacks on its own schedule; exporters derive
// rates from their own successive exports. Expensive sources are cached (CPU
// counts and the filesystem and block-device lists for 60 s, frequencies for
// 30 s). Nothing machine-wide is scanned: no process table and no socket list.
//
// The package never imports health or exporter code and never panics on what
// the operating system returns: a failing source reports success 0, logs once
// per change of state, and does not affect the other sources.
package host
