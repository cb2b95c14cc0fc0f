package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/store"
)

// Snapshot fixtures: the metrics instrumentation emits, built with the
// names constants, at fixed times.

// snapStart is when the fixtures' instruments started (counter start time).
var snapStart = testTime.Add(-time.Hour)

func pt(scope string, v float64, kv ...string) Point {
	a := map[string]string{n.AttrScope: scope}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	return Point{Attrs: a, Start: snapStart, Value: v}
}

const gib = 1 << 30

// addHost adds two cores' CPU times (busy and idle seconds, each split
// evenly), 8 GiB of memory memPct % used, and a root filesystem diskPct % full.
func addHost(s *Snapshot, busy, idle, memPct, diskPct float64) {
	h := n.ScopeHost
	for _, c := range []string{"0", "1"} {
		s.Add(n.SystemCPUTime, "s",
			pt(h, busy/2, n.AttrCPULogical, c, n.AttrCPUMode, "user"),
			pt(h, idle/2, n.AttrCPULogical, c, n.AttrCPUMode, "idle"))
	}
	s.Add(n.SystemCPULogicalCount, "{cpu}", pt(h, 2))
	total := 8.0 * gib
	avail := total * (1 - memPct/100)
	s.Add(n.SystemMemoryLimit, "By", pt(h, total))
	s.Add(n.SystemMemoryAvailable, "By", pt(h, avail))
	s.Add(n.SystemMemoryUsage, "By",
		pt(h, total-avail, n.AttrMemoryState, "used"), pt(h, avail/2, n.AttrMemoryState, "free"),
		pt(h, avail/4, n.AttrMemoryState, "cached"), pt(h, 64<<20, n.AttrMemoryState, "buffers"))
	s.Add(n.SystemPagingUsage, "By", pt(h, 0, n.AttrPagingState, "used"), pt(h, 2*gib, n.AttrPagingState, "free"))
	fs := []string{n.AttrMountpoint, "/", n.AttrDevice, "/dev/sda1", n.AttrFSType, "ext4"}
	s.Add(n.SystemFilesystemLimit, "By", pt(h, 100*gib, fs...))
	s.Add(n.SystemFilesystemUsage, "By",
		pt(h, diskPct*gib, append(slices.Clone(fs), n.AttrFSState, "used")...),
		pt(h, (100-diskPct)*gib, append(slices.Clone(fs), n.AttrFSState, "free")...))
}

// addProcess adds a watched bot process with the given RSS.
func addProcess(s *Snapshot, rss float64) {
	p := n.ScopeProcess
	pid := []string{n.AttrProcessPID, "4242"}
	s.Add(n.ProcessMemoryUsage, "By", pt(p, rss, pid...))
	s.Add(n.ProcessMemoryVirtual, "By", pt(p, 1.2*gib, pid...))
	s.Add(n.ProcessMemoryShared, "By", pt(p, 12<<20, pid...))
	s.Add(n.ProcessMemoryData, "By", pt(p, 30<<20, pid...))
	s.Add(n.ProcessMemoryUtilization, "1", pt(p, rss/(8*gib), pid...))
}

// addRuntime adds the Go runtime's GC counters and heap.
func addRuntime(s *Snapshot, cycles, pauseSec, allocated, freed, heap float64) {
	r := n.ScopeRuntime
	s.Add(n.GoGCCycles, "{gc_cycle}", pt(r, cycles))
	s.Add(n.GoGCPauseTotal, "s", pt(r, pauseSec))
	s.Add(n.GoGCPauseLast, "s", pt(r, 0.00021))
	s.Add(n.GoMemoryAllocated, "By", pt(n.ScopeContribRuntime, allocated))
	s.Add(n.GoMemoryFreed, "By", pt(r, freed))
	s.Add(n.GoHeapAlloc, "By", pt(r, heap))
	s.Add(n.GoHeapObjects, "{object}", pt(r, 52000))
	s.Add(n.GoGoroutineCount, "{goroutine}", pt(n.ScopeContribRuntime, 37))
}

// addBot adds a bot session.
func addBot(s *Snapshot, connected bool, latencyMS, reconnects, resumes float64) {
	b := n.ScopeBot
	c := 0.0
	if connected {
		c = 1
	}
	s.Add(n.DiscordConnected, "1", pt(b, c))
	s.Add(n.DiscordGuilds, "{guild}", pt(b, 128))
	s.Add(n.DiscordLatency, "s", pt(b, latencyMS/1000))
	s.Add(n.DiscordReconnects, "1", pt(b, reconnects))
	s.Add(n.DiscordResumes, "1", pt(b, resumes))
	s.Add(n.DiscordModules, "{module}", pt(b, 2))
	s.Add(n.DiscordCommands, "{command}", pt(b, 5))
}

type probeSpec struct {
	url, kind    string
	ok           bool
	status       int
	totalMS      float64
	availability float64 // 0–1
	errType      string
	errCount     float64
}

func addProbe(s *Snapshot, p probeSpec) {
	sc := n.ScopeProbe
	kv := []string{n.AttrProbeTarget, p.url, n.AttrProbeKind, p.kind}
	up := 0.0
	if p.ok {
		up = 1
	}
	s.Add(n.ProbeUp, "1", pt(sc, up, kv...))
	s.Add(n.ProbeStatusCode, "1", pt(sc, float64(p.status), kv...))
	s.Add(n.ProbeAvailability, "1", pt(sc, p.availability, kv...))
	phases := map[string]float64{"dns": 0.1, "connect": 0.2, "tls": 0.3, "first_byte": 0.35, "total": 1}
	for _, ph := range []string{"dns", "connect", "tls", "first_byte", "total"} {
		s.Add(n.ProbeDuration, "s", pt(sc, p.totalMS*phases[ph]/1000, append(slices.Clone(kv), n.AttrProbePhase, ph)...))
	}
	if p.errType != "" {
		s.Add(n.ProbeErrors, "{error}", pt(sc, p.errCount, append(slices.Clone(kv), n.AttrErrorType, p.errType)...))
	}
}

// durationBounds are the command histogram's bounds (semconv, seconds).
var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// histOf returns a histogram point of the given durations (seconds).
func histOf(durations []float64) *Histogram {
	h := &Histogram{Bounds: durationBounds, Counts: make([]uint64, len(durationBounds)+1), Min: durations[0], Max: durations[0]}
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
func addCommand(s *Snapshot, module, name string, ok, failed float64, durations []float64) {
	b := n.ScopeBot
	kv := []string{n.AttrCommandName, name, n.AttrCommandModule, module}
	s.Add(n.CommandInvocations, "{invocation}",
		pt(b, ok, append(slices.Clone(kv), n.AttrOutcome, "success")...),
		pt(b, failed, append(slices.Clone(kv), n.AttrOutcome, "failure")...))
	if len(durations) > 0 {
		p := pt(b, 0, kv...)
		p.Hist = histOf(durations)
		p.Value = p.Hist.Sum
		s.Add(n.CommandDuration, "s", p)
	}
}

// repeatDur returns count copies of d.
func repeatDur(d float64, count int) []float64 {
	out := make([]float64, count)
	for i := range out {
		out[i] = d
	}
	return out
}

// fullSnapshot is a snapshot of a busy, healthy host with a bot, probes and
// commands, at testTime; k (0 or 1) selects the earlier or the later of
// two consecutive collections 60 s apart.
func fullSnapshot(k int) *Snapshot {
	at := testTime.Add(time.Duration(k-1) * time.Minute)
	s := NewSnapshot(at, map[string]string{"host.name": "host-1", "process.runtime.version": "go1.26.8"})
	f := float64(k)
	addHost(s, 1000+30*f, 9000+90*f, 41, 40)
	addProcess(s, 48<<20+f*(2<<20))
	addRuntime(s, 1200+4*f, 0.254+0.002*f, 900<<20+f*(40<<20), 880<<20+f*(38<<20), 24<<20)
	addBot(s, true, 42, 1, 3)
	addProbe(s, probeSpec{url: "https://discord.com/api/v10/gateway", kind: probeKindDiscordAPI, ok: true, status: 200, totalMS: 212, availability: 1})
	addProbe(s, probeSpec{url: "https://www.google.com/generate_204", kind: probeKindInternet, ok: true, status: 204, totalMS: 31, availability: 1})
	addProbe(s, probeSpec{url: "https://1.1.1.1", kind: probeKindInternet, ok: k == 0, status: 0, totalMS: 5000, availability: 0.98 - 0.01*f,
		errType: "timeout", errCount: 1 + f})
	// play: 100 runs before, 100 more in the interval (20–80 ms before;
	// 0.1–0.5 s in the interval); queue: 10 before, 20 more, 2 failing.
	play := repeatDur(0.04, 100)
	queue := repeatDur(0.02, 10)
	playFail, queueFail := 0.0, 0.0
	if k == 1 {
		play = append(play, append(repeatDur(0.2, 50), repeatDur(0.4, 50)...)...)
		queue = append(queue, repeatDur(0.008, 20)...)
		queueFail = 2
	}
	addCommand(s, "music", "play", float64(len(play))-playFail, playFail, play)
	addCommand(s, "music", "queue", float64(len(queue))-queueFail, queueFail, queue)
	b := n.ScopeBot
	s.Add(n.CommandGuildInvocations, "{invocation}",
		pt(b, 60+70*f, n.AttrGuildID, "123456789012345678"), pt(b, 50+50*f, n.AttrGuildID, "223456789012345678"))
	s.Add(n.CommandChanInvocations, "{invocation}", pt(b, 110+120*f, n.AttrChannelID, "323456789012345678"))
	s.Add(n.CommandLateResponses, "{response}", pt(b, 0))
	return s
}

// bareSnapshot is a host-only collection: no bot, no probes, no process.
func bareSnapshot(at time.Time, memPct float64) *Snapshot {
	s := NewSnapshot(at, map[string]string{"host.name": "host-1"})
	addHost(s, 100, 900, memPct, 40)
	addRuntime(s, 10, 0.01, 10<<20, 8<<20, 4<<20)
	return s
}

// Goldens of the reports built here live in testdata/reports.

// checkReportGolden renders r for Discord and the console, checks the
// payload against Discord's limits and compares both with
// testdata/reports/<name>.golden.{json,txt} (-update rewrites them).
func checkReportGolden(t *testing.T, name string, r *Report) {
	t.Helper()
	p, err := RenderHook(r, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.LimitErr != nil {
		t.Errorf("payload breaks Discord's limits: %v", p.LimitErr)
	}
	compareReportGolden(t, "reports", name+".golden.json", p.Golden)
	// PNG sizes vary by platform (see RenderHook).
	console := pngSize.ReplaceAllString(ConsoleHook(r), "(image/png, N bytes)")
	compareReportGolden(t, "reports", name+".golden.txt", []byte(console+"\n"))
}

var pngSize = regexp.MustCompile(`\(image/png, [0-9]+ bytes\)`)

// openStore opens a store in a temporary directory, closed at cleanup.
func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "nexusmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// envelopeKeys are DESIGN §3's top-level data keys of each report kind.
var envelopeKeys = map[Kind][]string{
	EventSystem:   {"system_metrics", "bot_process_metrics", "bot_metrics", "runtime_metrics"},
	EventNetwork:  {"discord_api", "internet", "bot_connection"},
	EventMemory:   {"process_memory", "system_memory", "garbage_collection", "trends"},
	EventCommands: {"totals", "commands", "modules", "top_guilds", "top_channels"},
	EventHealth:   {"overall_health", "component_health", "performance_trends", "recommendations", "active_alerts"},
	EventAlert:    {"rule", "severity", "state", "value", "threshold", "since", "peak", "duration_ms", "repeat", "message"},
}

// TestReporter_EventsJSONL drives every reader's exporter path (two
// collections each) and checks the events file: one JSON envelope per
// line, each with its kind's keys, alerts before the report of the same
// snapshot.
func TestReporter_EventsJSONL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var events, console bytes.Buffer
	st := openStore(t, t.TempDir())
	rep := NewReporter(Options{Host: "host-1", Store: st, Events: &events, Console: hookConsole{&console}, Chart: ChartHook, Now: func() time.Time { return testTime }})
	for _, ev := range []Kind{EventSystem, EventNetwork, EventMemory, EventCommands, EventHealth} {
		prev := fullSnapshot(0)
		if err := rep.handle(ctx, ev, prev, nil); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		cur := fullSnapshot(1)
		if err := rep.handle(ctx, ev, cur, prev); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
	}
	// A memory collection at 95 % fires the memory alert (For is 0).
	hot := fullSnapshot(1)
	hot.Time = testTime.Add(time.Minute)
	hot.metrics[n.SystemMemoryAvailable].Points[0].Value = 0.05 * 8 * gib
	if err := rep.handle(ctx, EventMemory, hot, fullSnapshot(1)); err != nil {
		t.Fatal(err)
	}

	var kinds []Kind
	sc := bufio.NewScanner(&events)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var env struct {
			Event     Kind                       `json:"event"`
			Timestamp time.Time                  `json:"timestamp"`
			Data      map[string]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		kinds = append(kinds, env.Event)
		if env.Timestamp.IsZero() {
			t.Errorf("%s: no timestamp", env.Event)
		}
		for _, k := range envelopeKeys[env.Event] {
			if _, ok := env.Data[k]; !ok {
				t.Errorf("%s: data has no key %q", env.Event, k)
			}
		}
	}
	want := []Kind{
		EventSystem, EventSystem, EventNetwork, EventNetwork, EventMemory, EventMemory,
		EventCommands, EventCommands, EventHealth, EventHealth, EventAlert, EventMemory,
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("events\n got %v\nwant %v", kinds, want)
	}
	if !bytes.Contains(console.Bytes(), []byte("CRITICAL · memory usage 95 %")) {
		t.Errorf("console lacks the alert:\n%s", console.String())
	}
	// The samples the reports own are stored.
	for _, series := range []string{SeriesCPU, SeriesMemory, SeriesAPI, SeriesNetwork, SeriesLatency, seriesProbeAvailability} {
		ss, err := st.Samples(ctx, series, snapStart)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) == 0 {
			t.Errorf("no %s samples stored", series)
		}
	}
	// Health reports carry the chart.
	h := rep.Latest(EventHealth)
	if h == nil || len(h.Files) != 1 || h.Files[0].Name != ChartFile || h.Image != ChartFile {
		t.Fatalf("health report files %+v image %q", h.Files, h.Image)
	}
}

func TestReporter_BuildNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var events bytes.Buffer
	rep := NewReporter(Options{Host: "host-1", Events: &events})
	for _, ev := range []Kind{EventSystem, EventNetwork, EventMemory, EventCommands, EventHealth} {
		r, err := rep.BuildNow(ctx, ev, fullSnapshot(1))
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		if r.Event != ev {
			t.Errorf("BuildNow(%s) built %s", ev, r.Event)
		}
		b, err := json.Marshal(r.Envelope())
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Data map[string]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		for _, k := range envelopeKeys[ev] {
			if _, ok := env.Data[k]; !ok {
				t.Errorf("%s: no key %q", ev, k)
			}
		}
	}
	if events.Len() != 0 || rep.Latest(EventHealth) != nil {
		t.Error("BuildNow published")
	}
	if _, err := rep.BuildNow(ctx, "nope", fullSnapshot(1)); err == nil {
		t.Error("unknown event: no error")
	}
	if _, err := rep.BuildNow(ctx, EventHealth, nil); err == nil {
		t.Error("nil snapshot: no error")
	}
}

func TestThresholds_withDefaults(t *testing.T) {
	t.Parallel()
	got := Thresholds{CPU: health.Thresholds{Warning: 50, Critical: 60}}.withDefaults()
	want := DefaultThresholds()
	want.CPU = health.Thresholds{Warning: 50, Critical: 60}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestReporter_BuildNowMeasuresSinceLastExport: /nexus status and health
// show CPU over the time since the newest export, not n/a for ever (and not
// an average since boot before any export).
func TestReporter_BuildNowMeasuresSinceLastExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rep := NewReporter(Options{Host: "host-1"})
	cpu := func(ev Kind) *float64 {
		t.Helper()
		r, err := rep.BuildNow(ctx, ev, fullSnapshot(2))
		if err != nil {
			t.Fatal(err)
		}
		switch d := r.Data.(type) {
		case SystemData:
			return d.SystemMetrics.CPU.Percent
		case HealthData:
			if c, ok := d.ComponentHealth["cpu"]; ok && c.Available {
				return c.Value
			}
			return nil
		}
		t.Fatalf("%s: data %T", ev, r.Data)
		return nil
	}
	if v := cpu(EventSystem); v != nil {
		t.Errorf("system CPU before any export = %v, want null", *v)
	}
	if err := rep.handle(ctx, EventSystem, fullSnapshot(1), nil); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []Kind{EventSystem, EventHealth} {
		if v := cpu(ev); v == nil {
			t.Errorf("%s: CPU after an export is null", ev)
		}
	}
}
