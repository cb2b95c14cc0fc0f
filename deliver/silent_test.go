package deliver

import (
	"context"
	"sync"
	"testing"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build/commands"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

func TestReport_Routine(t *testing.T) {
	t.Parallel()
	firing := health.Event{Rule: "memory", Severity: health.SeverityCritical, State: health.EventFiring, At: reporttest.FixtureTime}
	resolved := health.Event{Rule: "memory", Severity: health.SeverityCritical, State: health.EventResolved, At: reporttest.FixtureTime}
	tests := map[string]struct {
		r    *reportdata.Report
		want bool
	}{
		"system":         {reporttest.SystemFixture(), true},
		"network":        {&reportdata.Report{Event: reportdata.EventNetwork}, true},
		"memory":         {&reportdata.Report{Event: reportdata.EventMemory}, true},
		"commands":       {&reportdata.Report{Event: reportdata.EventCommands}, true},
		"health":         {&reportdata.Report{Event: reportdata.EventHealth}, true},
		"test message":   {reporttest.TestFixture(), true},
		"info notice":    {report.AlertReport(health.Info("discord_gateway", "Discord gateway reachable again", reporttest.FixtureTime), nil, "host-1"), true},
		"alert firing":   {report.AlertReport(firing, nil, "host-1"), false},
		"alert resolved": {report.AlertReport(resolved, nil, "host-1"), false},
		"test alert":     {func() *reportdata.Report { r := report.AlertReport(firing, nil, "host-1"); r.Test = true; return r }(), false},
		"command error":  {reporttest.ErrorFixture(), false},
		"error digest":   {commands.DigestReport(commands.ErrorDigest{Start: reporttest.FixtureTime, End: reporttest.FixtureTime}, "host-1"), false},
	}
	for name, tc := range tests {
		if got := tc.r.Routine(); got != tc.want {
			t.Errorf("%s: Routine() = %v, want %v", name, got, tc.want)
		}
	}
}

// captureQueue records what a Reporter enqueues.
type captureQueue struct {
	mu  sync.Mutex
	got []Outbound
}

func (q *captureQueue) Enqueue(_ context.Context, m report.Message) error {
	o, err := toOutbound(m)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.got = append(q.got, o)
	return nil
}

func (q *captureQueue) flags() map[string]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[string]int{}
	for _, m := range q.got {
		title := string(m.Kind)
		if len(m.Payload.Embeds) > 0 {
			title = m.Payload.Embeds[0].Title
		}
		out[title] = m.Payload.Flags
	}
	return out
}

func TestReporter_SilentReports(t *testing.T) {
	t.Parallel()
	const silent = discordapi.FlagSuppressNotifications
	firing := health.Event{Rule: "memory", Metric: "memory usage", Unit: "%", Value: 95, Severity: health.SeverityCritical, State: health.EventFiring, At: reporttest.FixtureTime}
	for _, on := range []bool{true, false} {
		ctx := context.Background()
		q := &captureQueue{}
		rep := report.NewReporter(report.Options{Host: "host-1", Queue: q, SilentReports: on, Now: (&clock{t: reporttest.FixtureTime}).now})
		if err := rep.Publish(ctx, reporttest.SystemFixture(), report.PriorityReport); err != nil {
			t.Fatal(err)
		}
		if err := rep.Info(ctx, "agent", "agent started"); err != nil {
			t.Fatal(err)
		}
		if err := rep.Publish(ctx, report.AlertReport(firing, nil, "host-1"), report.PriorityAlert); err != nil {
			t.Fatal(err)
		}
		if err := rep.PublishError(ctx, reporttest.ErrorFixture()); err != nil {
			t.Fatal(err)
		}
		routine := 0
		if on {
			routine = silent
		}
		want := map[string]int{
			render.RenderTitle(reporttest.SystemFixture()): routine,
			"ℹ️ INFO · agent started":                      routine,
			"🚨 CRITICAL · memory usage 95 %":               0,
			render.RenderTitle(reporttest.ErrorFixture()):  0,
		}
		got := q.flags()
		for title, w := range want {
			if g, ok := got[title]; !ok || g != w {
				t.Errorf("silent_reports %v: %q flags = %d (queued %v), want %d", on, title, g, ok, w)
			}
		}
		// The report kept as Latest is not marked: /nexus answers render it
		// as an ephemeral response.
		if l := rep.Latest(reportdata.EventSystem); l == nil || l.Silent {
			t.Errorf("silent_reports %v: Latest = %+v", on, l)
		}
	}
}
