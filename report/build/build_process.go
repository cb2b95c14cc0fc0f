package build

import (
	"fmt"
	"strconv"
	"time"

	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// ProcessMetrics describe the bot's process. PID is the watched pid, also
// while its process is gone (null only when no pid is known: a pid file
// missing or invalid); Available is false and every figure null while the
// process cannot be read, and Status then says why (not_found, defunct,
// dead, unknown).
type ProcessMetrics struct {
	Available     bool          `json:"available"`
	PID           *int          `json:"pid"`
	Memory        ProcessMemory `json:"memory"`
	MemoryPercent *float64      `json:"memory_percent"`
	// CPUPercent is CPU seconds per wall second over the interval since
	// this report's previous collection (100 = one full core), measured
	// only between two readings of the same process: null in the first
	// report and for a process not seen at the previous collection (a new
	// pid, or a pid reused by a new process).
	CPUPercent  *float64   `json:"cpu_percent"`
	Threads     *int       `json:"threads"`
	OpenFDs     *int       `json:"open_fds"`
	Connections *int       `json:"connections"`
	CreateTime  *time.Time `json:"create_time"`
	Status      string     `json:"status"`

	cpuNote string // why CPUPercent is null, for the text
}

// ProcessMemory is the process's memory in bytes.
type ProcessMemory struct {
	RSS    *uint64 `json:"rss"`
	VMS    *uint64 `json:"vms"`
	Shared *uint64 `json:"shared"`
	Data   *uint64 `json:"data"`
}

// BotMetrics describe the bot's Discord session. Without a session
// Connected is false and every other field is null.
type BotMetrics struct {
	Connected     bool     `json:"connected"`
	Guilds        *int64   `json:"guilds"`
	Users         *int64   `json:"users"`
	Channels      *int64   `json:"channels"`
	LatencyMS     *float64 `json:"latency_ms"`
	UptimeSeconds *float64 `json:"uptime_seconds"`
	Modules       *int64   `json:"modules"`
	Commands      *int64   `json:"commands"`
	Reconnects    *int64   `json:"reconnects"`
	Resumes       *int64   `json:"resumes"`
	RateLimitHits *int64   `json:"rate_limit_hits"`
}

// RuntimeMetrics describe the agent's Go runtime: the bot's only when the
// bot is the agent's own process (a Go bot with the agent inside).
type RuntimeMetrics struct {
	GoVersion  string    `json:"go_version"`
	Goroutines *int64    `json:"goroutines"`
	GC         GCMetrics `json:"gc"`
	Heap       HeapStats `json:"heap"`
}

// GCMetrics are garbage-collector totals.
type GCMetrics struct {
	Cycles       *uint64  `json:"cycles"`
	PauseTotalMS *float64 `json:"pause_total_ms"`
	LastPauseMS  *float64 `json:"last_pause_ms"`
}

// HeapStats are heap figures in bytes and objects.
type HeapStats struct {
	Alloc   *uint64 `json:"alloc"`
	Objects *uint64 `json:"objects"`
	Sys     *uint64 `json:"sys"`
	NextGC  *uint64 `json:"next_gc"`
}

// watchedProcess returns the pid and the creation time (seconds since the
// epoch, 0 when unknown) of the process s watched, from any of its points;
// ok is false when s names none.
func watchedProcess(s *reportdata.Snapshot) (pid int, created float64, ok bool) {
	proc := scoped(n.ScopeProcess)
	for _, name := range []string{n.ProcessMemoryUsage, n.ProcessStatus, n.ProcessCPUTime} {
		m := s.Metric(name)
		if m == nil {
			continue
		}
		for i := range m.Points { // read in place: Points would copy them
			p := &m.Points[i]
			if !p.Match(proc...) {
				continue
			}
			if v, err := strconv.Atoi(p.Attrs[n.AttrProcessPID]); err == nil && v > 0 {
				c, _ := s.Value(n.ProcessCreationTime, append(proc, n.AttrProcessPID, p.Attrs[n.AttrProcessPID])...)
				return v, c, true
			}
		}
	}
	return 0, 0, false
}

func buildProcess(cur, prev *reportdata.Snapshot, v *vals) ProcessMetrics {
	var pm ProcessMetrics
	pid, created, ok := watchedProcess(cur)
	if !ok {
		return pm
	}
	pm.PID = v.i.New(pid)
	pidText := strconv.Itoa(pid)
	pp := func(kv ...string) []string {
		return append(scoped(n.ScopeProcess, n.AttrProcessPID, pidText), kv...)
	}
	for _, p := range cur.Points(n.ProcessStatus, pp()...) {
		if p.Value > 0 {
			pm.Status = p.Attrs[n.AttrProcessState]
		}
	}
	rss, ok := cur.Value(n.ProcessMemoryUsage, pp()...)
	if !ok {
		return pm // named by nexusmon.process.status only: not running or unreadable
	}
	pm.Available = true
	pm.Memory = ProcessMemory{RSS: v.u64(rss, ok),
		VMS:    v.u64(cur.Value(n.ProcessMemoryVirtual, pp()...)),
		Shared: v.u64(cur.Value(n.ProcessMemoryShared, pp()...)),
		Data:   v.u64(cur.Value(n.ProcessMemoryData, pp()...)),
	}
	if x, ok := cur.Value(n.ProcessMemoryUtilization, pp()...); ok {
		pm.MemoryPercent = v.f.New(format.Round(100*x, 2))
	}
	pm.Threads = v.int(cur.Value(n.ProcessThreadCount, pp()...))
	pm.OpenFDs = v.int(cur.Value(n.ProcessOpenFDs, pp()...))
	pm.Connections = v.int(cur.Value(n.ProcessConnections, pp()...))
	if created > 0 {
		t := time.Unix(0, int64(created*1e9)).UTC().Truncate(time.Second)
		pm.CreateTime = &t
	}
	pm.CPUPercent, pm.cpuNote = processCPU(cur, prev, pid, pidText, created, v)
	return pm
}

// processCPU returns the CPU % of process pid (created at created) between
// prev and cur, or nil and why not. Only two readings of the same process
// measure an interval: a new pid, or the same pid with another creation
// time (reused by a new process), starts a new one.
func processCPU(cur, prev *reportdata.Snapshot, pid int, pidText string, created float64, v *vals) (*float64, string) {
	if prev == nil {
		return nil, format.NoteFirstReport
	}
	const newProcess = "first reading of this process"
	prevPID, prevCreated, ok := watchedProcess(prev)
	if !ok || prevPID != pid || prevCreated != created {
		return nil, newProcess
	}
	kv := scoped(n.ScopeProcess, n.AttrProcessPID, pidText)
	c, okC := cur.Sum(n.ProcessCPUTime, kv...)
	p, okP := prev.Sum(n.ProcessCPUTime, kv...)
	secs := cur.Time.Sub(prev.Time).Seconds()
	if !okC || !okP || c < p || secs <= 0 {
		return nil, ""
	}
	return v.f.New(format.Round(100*(c-p)/secs, 2)), ""
}

func buildBot(cur *reportdata.Snapshot, v *vals) BotMetrics {
	bot := func(kv ...string) []string { return scoped(n.ScopeBot, kv...) }
	var b BotMetrics
	if !cur.Has(n.DiscordConnected) {
		return b
	}
	c, _ := cur.Value(n.DiscordConnected, bot()...)
	b.Connected = c > 0
	// With a session, a counter without points has counted nothing yet
	// (the SDK reports a synchronous counter from its first increment).
	i := func(name string) *int64 {
		x, _ := cur.Sum(name, bot()...)
		return v.i64.New(int64(x))
	}
	b.Guilds, b.Users, b.Channels = i(n.DiscordGuilds), i(n.DiscordUsers), i(n.DiscordChannels)
	b.Modules, b.Commands = i(n.DiscordModules), i(n.DiscordCommands)
	b.Reconnects, b.Resumes, b.RateLimitHits = i(n.DiscordReconnects), i(n.DiscordResumes), i(n.DiscordRateLimits)
	if x, ok := cur.Value(n.DiscordLatency, bot()...); ok && x >= 0 {
		b.LatencyMS = v.f.New(format.Round(x*1000, 1))
	}
	if x, ok := cur.Value(n.DiscordUptime, bot()...); ok {
		b.UptimeSeconds = v.f.New(format.Round(x, 0))
	}
	return b
}

func buildRuntime(cur *reportdata.Snapshot, v *vals) RuntimeMetrics {
	rt := func(kv ...string) []string { return scoped(n.ScopeRuntime, kv...) }
	ms := func(x float64, ok bool) *float64 { return v.round(x*1000, ok, 3) }
	g, ok := cur.Value(n.GoGoroutineCount)
	return RuntimeMetrics{
		GoVersion:  cur.Resource["process.runtime.version"],
		Goroutines: v.i64.Opt(int64(g), ok),
		GC: GCMetrics{
			Cycles:       v.u64(cur.Value(n.GoGCCycles, rt()...)),
			PauseTotalMS: ms(cur.Value(n.GoGCPauseTotal, rt()...)),
			LastPauseMS:  ms(cur.Value(n.GoGCPauseLast, rt()...)),
		},
		Heap: HeapStats{
			Alloc:   v.u64(cur.Value(n.GoHeapAlloc, rt()...)),
			Objects: v.u64(cur.Value(n.GoHeapObjects, rt()...)),
			Sys:     v.u64(cur.Value(n.GoMemorySys, rt()...)),
			NextGC:  v.u64(cur.Value(n.GoMemoryGCGoal)),
		},
	}
}

// runtimeOfBot reports whether the process the reports watch is the one
// whose Go runtime they show: the agent's own (the resource's process.pid).
func runtimeOfBot(cur *reportdata.Snapshot, pm ProcessMetrics) bool {
	own, err := strconv.Atoi(cur.Resource["process.pid"])
	return err == nil && pm.PID != nil && *pm.PID == own
}

// runtimeLabel is the suffix of the Go runtime's section names when the
// runtime is not the watched process's.
func runtimeLabel(ofBot bool) string {
	if ofBot {
		return ""
	}
	return " · nexusmon agent"
}

// processStatusText says why a process's figures are missing.
func processStatusText(pm ProcessMetrics) string {
	switch {
	case pm.PID == nil:
		return "unavailable (no pid to watch)"
	case pm.Status == "not_found" || pm.Status == "":
		return fmt.Sprintf("process %d not found", *pm.PID)
	case pm.Status == "defunct" || pm.Status == "dead":
		return fmt.Sprintf("process %d has exited (%s)", *pm.PID, pm.Status)
	default:
		return fmt.Sprintf("process %d unreadable", *pm.PID)
	}
}
