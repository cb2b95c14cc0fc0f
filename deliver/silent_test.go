package deliver

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/discordtest"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
)

func TestReport_Routine(t *testing.T) {
	t.Parallel()
	firing := health.Event{Rule: "memory", Severity: health.SeverityCritical, State: health.EventFiring, At: reporttest.FixtureTime}
	resolved := health.Event{Rule: "memory", Severity: health.SeverityCritical, State: health.EventResolved, At: reporttest.FixtureTime}
	tests := map[string]struct {
		r    *report.Report
		want bool
	}{
		"system":         {reporttest.SystemFixture(), true},
		"network":        {&report.Report{Event: report.EventNetwork}, true},
		"memory":         {&report.Report{Event: report.EventMemory}, true},
		"commands":       {&report.Report{Event: report.EventCommands}, true},
		"health":         {&report.Report{Event: report.EventHealth}, true},
		"test message":   {reporttest.TestFixture(), true},
		"info notice":    {report.AlertReport(health.Info("discord_gateway", "Discord gateway reachable again", reporttest.FixtureTime), nil, "host-1"), true},
		"alert firing":   {report.AlertReport(firing, nil, "host-1"), false},
		"alert resolved": {report.AlertReport(resolved, nil, "host-1"), false},
		"test alert":     {func() *report.Report { r := report.AlertReport(firing, nil, "host-1"); r.Test = true; return r }(), false},
		"command error":  {reporttest.ErrorFixture(), false},
		"error digest":   {report.DigestReport(report.ErrorDigest{Start: reporttest.FixtureTime, End: reporttest.FixtureTime}, "host-1"), false},
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
		if l := rep.Latest(report.EventSystem); l == nil || l.Silent {
			t.Errorf("silent_reports %v: Latest = %+v", on, l)
		}
	}
}

// TestSenders_FlagsOnCreateOnly: a post carries the payload's flags; an
// edit sends none, since Discord lets an edit change SUPPRESS_EMBEDS only
// and the message keeps the flags it was created with.
func TestSenders_FlagsOnCreateOnly(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, dlvFastLimits()...)
	_, _, hookURL := srv.CreateWebhook(discordtest.DefaultChannel2ID)
	for name, s := range map[string]struct {
		sender  Sender
		channel string
		edit    string // route key of the edit
	}{
		"bot":     {dlvBot(t, srv, srv.Token(), nil), discordtest.DefaultChannelID, dlvChannelEdit},
		"webhook": {dlvWebhook(t, hookURL, nil), discordtest.DefaultChannel2ID, dlvWebhookEdit},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p := dlvPayload(name, "data.json")
			p.Flags = discordapi.FlagSuppressNotifications
			id, err := s.sender.Post(ctx, &p)
			if err != nil {
				t.Fatal(err)
			}
			q := dlvPayload(name+" edited", "")
			q.Flags = discordapi.FlagSuppressNotifications
			if err := s.sender.Edit(ctx, id, &q); err != nil {
				t.Fatal(err)
			}
			var msg *discordtest.Message
			for _, m := range srv.Messages(s.channel) {
				if m.ID == id {
					msg = &m
				}
			}
			if msg == nil || msg.Flags != discordapi.FlagSuppressNotifications || msg.Embeds[0]["title"] != name+" edited" {
				t.Fatalf("message after post and edit = %+v", msg)
			}
			for _, r := range srv.Requests() {
				if r.Route != s.edit || r.Status != http.StatusOK {
					continue
				}
				var body map[string]any
				if err := json.Unmarshal(r.PayloadJSON, &body); err != nil {
					t.Fatal(err)
				}
				if f, ok := body["flags"]; ok {
					t.Errorf("edit sent flags %v", f)
				}
			}
		})
	}
}
