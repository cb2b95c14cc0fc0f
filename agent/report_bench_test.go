package agent

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/report"
)

// systemReportAgent returns a started agent set up as the peers comparison
// runs it (../shared/tools/peers): the system report posted, the other
// reports off, no Discord destination, no probes off loopback, no console
// unless console is set, the store and the events file in a temp dir, no
// HTTP listener; edit changes the config. Its readers wait an hour, so
// only the caller collects.
func systemReportAgent(tb testing.TB, console bool, edit ...func(*config.Config)) *Agent {
	tb.Helper()
	dir := tb.TempDir()
	cfg := config.Default()
	for _, r := range []*config.Report{&cfg.Reports.System, &cfg.Reports.Network, &cfg.Reports.Memory, &cfg.Reports.Commands, &cfg.Reports.Health} {
		r.Interval = time.Hour
		r.Mode = report.ModeOff
	}
	cfg.Reports.System.Mode = report.ModePost
	cfg.Probes.DiscordAPI = ""
	cfg.Probes.Internet = nil
	cfg.Storage.Path = filepath.Join(dir, "nexusmon.db")
	cfg.Output.JSONL = filepath.Join(dir, "events.jsonl")
	cfg.Output.Console = config.ConsoleOff
	if console {
		cfg.Output.Console = config.ConsoleOn
	}
	cfg.HTTP.Listen = ""
	for _, e := range edit {
		e(cfg)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatalf("config: %v", err)
	}
	a, err := New(context.Background(), cfg, WithStdout(io.Discard), WithEnv(noEnv))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			tb.Errorf("Stop: %v", err)
		}
	})
	return a
}

// BenchmarkSystemReport measures one system report as the agent makes it
// every interval: the collection of every instrument, the report's build,
// the store (report and samples) and the events file line; "console" adds
// the console rendering. Budget (DESIGN §8): ≤ 1 ms of CPU per report
// (cpu-ns/op).
func BenchmarkSystemReport(b *testing.B) {
	for _, bc := range []struct {
		name    string
		console bool
	}{{"events", false}, {"console", true}} {
		b.Run(bc.name, func(b *testing.B) {
			a := systemReportAgent(b, bc.console)
			r := a.reports[report.EventSystem]
			ctx := context.Background()
			if err := r.collect(ctx); err != nil { // a previous collection: CPU and rates have an interval
				b.Fatal(err)
			}
			b.ReportAllocs()
			before := metrictest.CPUTime(b)
			b.ResetTimer()
			for b.Loop() {
				if err := r.collect(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			// The budget is CPU time: on a shared machine ns/op also counts
			// waiting for a core. The process's CPU includes the GC's share.
			b.ReportMetric(float64((metrictest.CPUTime(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
