package reporttest

import (
	"slices"
	"sort"
	"time"

	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Snapshot builders for tests: collections as the SDK adapter makes them,
// with the names, units and attributes of internal/names.

var SnapStart = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC).Add(-time.Hour) // FixtureTime - 1h

func Pt(scope string, v float64, kv ...string) reportdata.Point {
	a := map[string]string{n.AttrScope: scope}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	return reportdata.Point{Attrs: a, Start: SnapStart, Value: v}
}

const Gib = 1 << 30

// AddHost adds two cores' CPU times (busy and idle seconds, each split
// evenly), 8 GiB of memory memPct % used, and a root filesystem diskPct % full.
func AddHost(s *reportdata.Snapshot, busy, idle, memPct, diskPct float64) {
	h := n.ScopeHost
	for _, c := range []string{"0", "1"} {
		s.Add(n.SystemCPUTime, "s",
			Pt(h, busy/2, n.AttrCPULogical, c, n.AttrCPUMode, "user"),
			Pt(h, idle/2, n.AttrCPULogical, c, n.AttrCPUMode, "idle"))
	}
	s.Add(n.SystemCPULogicalCount, "{cpu}", Pt(h, 2))
	total := 8.0 * Gib
	avail := total * (1 - memPct/100)
	s.Add(n.SystemMemoryLimit, "By", Pt(h, total))
	s.Add(n.SystemMemoryAvailable, "By", Pt(h, avail))
	s.Add(n.SystemMemoryUsage, "By",
		Pt(h, total-avail, n.AttrMemoryState, "used"), Pt(h, avail/2, n.AttrMemoryState, "free"),
		Pt(h, avail/4, n.AttrMemoryState, "cached"), Pt(h, 64<<20, n.AttrMemoryState, "buffers"))
	s.Add(n.SystemPagingUsage, "By", Pt(h, 0, n.AttrPagingState, "used"), Pt(h, 2*Gib, n.AttrPagingState, "free"))
	fs := []string{n.AttrMountpoint, "/", n.AttrDevice, "/dev/sda1", n.AttrFSType, "ext4"}
	s.Add(n.SystemFilesystemLimit, "By", Pt(h, 100*Gib, fs...))
	s.Add(n.SystemFilesystemUsage, "By",
		Pt(h, diskPct*Gib, append(slices.Clone(fs), n.AttrFSState, "used")...),
		Pt(h, (100-diskPct)*Gib, append(slices.Clone(fs), n.AttrFSState, "free")...))
}

// addProcess adds a watched bot process with the given RSS.
func addProcess(s *reportdata.Snapshot, rss float64) {
	p := n.ScopeProcess
	pid := []string{n.AttrProcessPID, "4242"}
	s.Add(n.ProcessMemoryUsage, "By", Pt(p, rss, pid...))
	s.Add(n.ProcessMemoryVirtual, "By", Pt(p, 1.2*Gib, pid...))
	s.Add(n.ProcessMemoryShared, "By", Pt(p, 12<<20, pid...))
	s.Add(n.ProcessMemoryData, "By", Pt(p, 30<<20, pid...))
	s.Add(n.ProcessMemoryUtilization, "1", Pt(p, rss/(8*Gib), pid...))
}

// addRuntime adds the Go runtime's GC counters and heap.
func addRuntime(s *reportdata.Snapshot, cycles, pauseSec, allocated, freed, heap float64) {
	r := n.ScopeRuntime
	s.Add(n.GoGCCycles, "{gc_cycle}", Pt(r, cycles))
	s.Add(n.GoGCPauseTotal, "s", Pt(r, pauseSec))
	s.Add(n.GoGCPauseLast, "s", Pt(r, 0.00021))
	s.Add(n.GoMemoryAllocated, "By", Pt(n.ScopeContribRuntime, allocated))
	s.Add(n.GoMemoryFreed, "By", Pt(r, freed))
	s.Add(n.GoHeapAlloc, "By", Pt(r, heap))
	s.Add(n.GoHeapObjects, "{object}", Pt(r, 52000))
	s.Add(n.GoGoroutineCount, "{goroutine}", Pt(n.ScopeContribRuntime, 37))
}

// AddBot adds a bot session.
func AddBot(s *reportdata.Snapshot, connected bool, latencyMS, reconnects, resumes float64) {
	b := n.ScopeBot
	c := 0.0
	if connected {
		c = 1
	}
	s.Add(n.DiscordConnected, "1", Pt(b, c))
	s.Add(n.DiscordGuilds, "{guild}", Pt(b, 128))
	s.Add(n.DiscordLatency, "s", Pt(b, latencyMS/1000))
	s.Add(n.DiscordReconnects, "1", Pt(b, reconnects))
	s.Add(n.DiscordResumes, "1", Pt(b, resumes))
	s.Add(n.DiscordModules, "{module}", Pt(b, 2))
	s.Add(n.DiscordCommands, "{command}", Pt(b, 5))
}

type ProbeSpec struct {
	URL, Kind    string
	OK           bool
	Status       int
	TotalMS      float64
	Availability float64 // 0–1
	ErrType      string
	ErrCount     float64
}

func AddProbe(s *reportdata.Snapshot, p ProbeSpec) {
	sc := n.ScopeProbe
	kv := []string{n.AttrProbeTarget, p.URL, n.AttrProbeKind, p.Kind}
	up := 0.0
	if p.OK {
		up = 1
	}
	s.Add(n.ProbeUp, "1", Pt(sc, up, kv...))
	s.Add(n.ProbeStatusCode, "1", Pt(sc, float64(p.Status), kv...))
	s.Add(n.ProbeAvailability, "1", Pt(sc, p.Availability, kv...))
	phases := map[string]float64{"dns": 0.1, "connect": 0.2, "tls": 0.3, "first_byte": 0.35, "total": 1}
	for _, ph := range []string{"dns", "connect", "tls", "first_byte", "total"} {
		s.Add(n.ProbeDuration, "s", Pt(sc, p.TotalMS*phases[ph]/1000, append(slices.Clone(kv), n.AttrProbePhase, ph)...))
	}
	if p.ErrType != "" {
		s.Add(n.ProbeErrors, "{error}", Pt(sc, p.ErrCount, append(slices.Clone(kv), n.AttrErrorType, p.ErrType)...))
	}
}

// durationBounds are the command histogram's bounds (semconv, seconds).
var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// HistOf returns a histogram point of the given durations (seconds).
func HistOf(durations []float64) *reportdata.Histogram {
	h := &reportdata.Histogram{Bounds: durationBounds, Counts: make([]uint64, len(durationBounds)+1), Min: durations[0], Max: durations[0]}
	for _, d := range durations {
		i := sort.SearchFloat64s(durationBounds, d) // first bound ≥ d: buckets are (lo, hi]
		h.Counts[i]++
		h.Count++
		h.Sum += d
		h.Min, h.Max = min(h.Min, d), max(h.Max, d)
	}
	return h
}

// addCommand adds a command's cumulative invocation counts and durations.
func addCommand(s *reportdata.Snapshot, module, name string, ok, failed float64, durations []float64) {
	b := n.ScopeBot
	kv := []string{n.AttrCommandName, name, n.AttrCommandModule, module}
	s.Add(n.CommandInvocations, "{invocation}",
		Pt(b, ok, append(slices.Clone(kv), n.AttrOutcome, "success")...),
		Pt(b, failed, append(slices.Clone(kv), n.AttrOutcome, "failure")...))
	if len(durations) > 0 {
		p := Pt(b, 0, kv...)
		p.Hist = HistOf(durations)
		p.Value = p.Hist.Sum
		s.Add(n.CommandDuration, "s", p)
	}
}

// RepeatDur returns count copies of d.
func RepeatDur(d float64, count int) []float64 {
	out := make([]float64, count)
	for i := range out {
		out[i] = d
	}
	return out
}

// FullSnapshot is a snapshot of a busy, healthy host with a bot, probes and
// commands, at FixtureTime; k (0 or 1) selects the earlier or the later of
// two consecutive collections 60 s apart.
func FullSnapshot(k int) *reportdata.Snapshot {
	at := SnapStart.Add(time.Hour).Add(time.Duration(k-1) * time.Minute)
	s := reportdata.NewSnapshot(at, map[string]string{"host.name": "host-1", "process.runtime.version": "go1.26.8"})
	f := float64(k)
	AddHost(s, 1000+30*f, 9000+90*f, 41, 40)
	addProcess(s, 48<<20+f*(2<<20))
	addRuntime(s, 1200+4*f, 0.254+0.002*f, 900<<20+f*(40<<20), 880<<20+f*(38<<20), 24<<20)
	AddBot(s, true, 42, 1, 3)
	AddProbe(s, ProbeSpec{URL: "https://discord.com/api/v10/gateway", Kind: "discord_api", OK: true, Status: 200, TotalMS: 212, Availability: 1})
	AddProbe(s, ProbeSpec{URL: "https://www.google.com/generate_204", Kind: "internet", OK: true, Status: 204, TotalMS: 31, Availability: 1})
	AddProbe(s, ProbeSpec{URL: "https://1.1.1.1", Kind: "internet", OK: k == 0, Status: 0, TotalMS: 5000, Availability: 0.98 - 0.01*f,
		ErrType: "timeout", ErrCount: 1 + f})
	// play: 100 runs before, 100 more in the interval (20–80 ms before;
	// 0.1–0.5 s in the interval); queue: 10 before, 20 more, 2 failing.
	play := RepeatDur(0.04, 100)
	queue := RepeatDur(0.02, 10)
	playFail, queueFail := 0.0, 0.0
	if k == 1 {
		play = append(play, append(RepeatDur(0.2, 50), RepeatDur(0.4, 50)...)...)
		queue = append(queue, RepeatDur(0.008, 20)...)
		queueFail = 2
	}
	addCommand(s, "music", "play", float64(len(play))-playFail, playFail, play)
	addCommand(s, "music", "queue", float64(len(queue))-queueFail, queueFail, queue)
	b := n.ScopeBot
	s.Add(n.CommandGuildInvocations, "{invocation}",
		Pt(b, 60+70*f, n.AttrGuildID, "123456789012345678"), Pt(b, 50+50*f, n.AttrGuildID, "223456789012345678"))
	s.Add(n.CommandChanInvocations, "{invocation}", Pt(b, 110+120*f, n.AttrChannelID, "323456789012345678"))
	s.Add(n.CommandLateResponses, "{response}", Pt(b, 0))
	return s
}

// BareSnapshot is a host-only collection: no bot, no probes, no process.
func BareSnapshot(at time.Time, memPct float64) *reportdata.Snapshot {
	s := reportdata.NewSnapshot(at, map[string]string{"host.name": "host-1"})
	AddHost(s, 100, 900, memPct, 40)
	addRuntime(s, 10, 0.01, 10<<20, 8<<20, 4<<20)
	return s
}

// HostBefore is a host-only collection a minute before FixtureTime whose
// CPU counters are 30 busy and 270 idle seconds behind bareSnapshot's: 10 %
// busy in the interval.
func HostBefore() *reportdata.Snapshot {
	s := reportdata.NewSnapshot(SnapStart.Add(time.Hour-time.Minute), map[string]string{"host.name": "host-1"})
	AddHost(s, 70, 630, 41, 40)
	addRuntime(s, 10, 0.01, 10<<20, 8<<20, 4<<20)
	return s
}

// FailingSnapshot is a collection in which /proc/loadavg and /proc/meminfo
// could not be read and the watched process 1234 is gone: the host
// collector observes no load, memory or swap points and reads 0 on those
// sources' success gauges (instrumentation/host TestCollector_FailingSource);
// the process collector observes only process.status not_found
// (instrumentation/process TestCollector_GoneKeepsPID).
func FailingSnapshot() *reportdata.Snapshot {
	s := BareSnapshot(SnapStart.Add(time.Hour), 41)
	for _, name := range []string{n.SystemLoad1m, n.SystemLoad5m, n.SystemLoad15m,
		n.SystemMemoryLimit, n.SystemMemoryAvailable, n.SystemMemoryUsage, n.SystemPagingUsage} {
		s.Delete(name)
	}
	for src, ok := range map[string]float64{"host.cpu": 1, "host.load": 0, "host.memory": 0, "host.swap": 0, "host.disk": 1, "process": 0} {
		scope := n.ScopeHost
		if src == "process" {
			scope = n.ScopeProcess
		}
		s.Add(n.CollectorSuccess, "1", Pt(scope, ok, n.AttrCollector, src))
	}
	s.Add(n.ProcessStatus, "1", Pt(n.ScopeProcess, 1, n.AttrProcessPID, "1234", n.AttrProcessState, "not_found"))
	return s
}
