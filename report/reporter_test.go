package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/goldentest"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/report/build"
)

// Snapshot fixtures: the metrics instrumentation emits, built with the
// names constants, at fixed times.

// snapStart is when the fixtures' instruments started (counter start time).
// Goldens of the reports built here live in testdata/reports.

// checkReportGolden renders r for Discord and the console, checks the
// payload against Discord's limits and compares both with
// testdata/reports/<name>.golden.{json,txt} (-update rewrites them).
func checkReportGolden(t *testing.T, name string, r *reportdata.Report) {
	t.Helper()
	goldentest.CheckReport(t, "./report", name, r, RenderHook, ConsoleHook)
}

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
var envelopeKeys = map[reportdata.Kind][]string{
	reportdata.EventSystem:   {"system_metrics", "bot_process_metrics", "bot_metrics", "runtime_metrics"},
	reportdata.EventNetwork:  {"discord_api", "internet", "bot_connection"},
	reportdata.EventMemory:   {"process_memory", "system_memory", "garbage_collection", "trends"},
	reportdata.EventCommands: {"totals", "commands", "modules", "top_guilds", "top_channels"},
	reportdata.EventHealth:   {"overall_health", "component_health", "performance_trends", "recommendations", "active_alerts"},
	reportdata.EventAlert:    {"rule", "severity", "state", "value", "threshold", "since", "peak", "duration_ms", "repeat", "message"},
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
	for _, ev := range []reportdata.Kind{reportdata.EventSystem, reportdata.EventNetwork, reportdata.EventMemory, reportdata.EventCommands, reportdata.EventHealth} {
		prev := reporttest.FullSnapshot(0)
		if err := rep.handle(ctx, ev, prev, nil); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		cur := reporttest.FullSnapshot(1)
		if err := rep.handle(ctx, ev, cur, prev); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
	}
	// A memory collection at 95 % fires the memory alert (For is 0).
	hot := reporttest.FullSnapshot(1)
	hot.Time = testTime.Add(time.Minute)
	hot.Metric(n.SystemMemoryAvailable).Points[0].Value = 0.05 * 8 * reporttest.Gib
	if err := rep.handle(ctx, reportdata.EventMemory, hot, reporttest.FullSnapshot(1)); err != nil {
		t.Fatal(err)
	}

	var kinds []reportdata.Kind
	sc := bufio.NewScanner(&events)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var env struct {
			Event     reportdata.Kind            `json:"event"`
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
	want := []reportdata.Kind{
		reportdata.EventSystem, reportdata.EventSystem, reportdata.EventNetwork, reportdata.EventNetwork, reportdata.EventMemory, reportdata.EventMemory,
		reportdata.EventCommands, reportdata.EventCommands, reportdata.EventHealth, reportdata.EventHealth, reportdata.EventAlert, reportdata.EventMemory,
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("events\n got %v\nwant %v", kinds, want)
	}
	if !bytes.Contains(console.Bytes(), []byte("CRITICAL · memory usage 95 %")) {
		t.Errorf("console lacks the alert:\n%s", console.String())
	}
	// The samples the reports own are stored.
	for _, series := range []string{build.SeriesCPU, build.SeriesMemory, build.SeriesAPI, build.SeriesNetwork, build.SeriesLatency, build.SeriesProbeAvailability} {
		ss, err := st.Samples(ctx, series, reporttest.SnapStart)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) == 0 {
			t.Errorf("no %s samples stored", series)
		}
	}
	// Health reports carry the chart.
	h := rep.Latest(reportdata.EventHealth)
	if h == nil || len(h.Files) != 1 || h.Files[0].Name != reportdata.ChartFile || h.Image != reportdata.ChartFile {
		t.Fatalf("health report files %+v image %q", h.Files, h.Image)
	}
}

func TestReporter_BuildNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var events bytes.Buffer
	rep := NewReporter(Options{Host: "host-1", Events: &events})
	for _, ev := range []reportdata.Kind{reportdata.EventSystem, reportdata.EventNetwork, reportdata.EventMemory, reportdata.EventCommands, reportdata.EventHealth} {
		r, err := rep.BuildNow(ctx, ev, reporttest.FullSnapshot(1))
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
	if events.Len() != 0 || rep.Latest(reportdata.EventHealth) != nil {
		t.Error("BuildNow published")
	}
	if _, err := rep.BuildNow(ctx, "nope", reporttest.FullSnapshot(1)); err == nil {
		t.Error("unknown event: no error")
	}
	if _, err := rep.BuildNow(ctx, reportdata.EventHealth, nil); err == nil {
		t.Error("nil snapshot: no error")
	}
}

func TestThresholds_withDefaults(t *testing.T) {
	t.Parallel()
	got := reportdata.Thresholds{CPU: health.Thresholds{Warning: 50, Critical: 60}}.WithDefaults()
	want := reportdata.DefaultThresholds()
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
	cpu := func(ev reportdata.Kind) *float64 {
		t.Helper()
		r, err := rep.BuildNow(ctx, ev, reporttest.FullSnapshot(2))
		if err != nil {
			t.Fatal(err)
		}
		switch d := r.Data.(type) {
		case build.SystemData:
			return d.SystemMetrics.CPU.Percent
		case build.HealthData:
			if c, ok := d.ComponentHealth["cpu"]; ok && c.Available {
				return c.Value
			}
			return nil
		}
		t.Fatalf("%s: data %T", ev, r.Data)
		return nil
	}
	if v := cpu(reportdata.EventSystem); v != nil {
		t.Errorf("system CPU before any export = %v, want null", *v)
	}
	if err := rep.handle(ctx, reportdata.EventSystem, reporttest.FullSnapshot(1), nil); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []reportdata.Kind{reportdata.EventSystem, reportdata.EventHealth} {
		if v := cpu(ev); v == nil {
			t.Errorf("%s: CPU after an export is null", ev)
		}
	}
}
