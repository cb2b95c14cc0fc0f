package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/deliver"
	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build/commands"
	"github.com/nexusmon/nexusmon/report/reportdata"
	"github.com/nexusmon/nexusmon/sdkadapter"
)

// Check is one line of the reporting self-test (/nexus test_reporting and
// `nexusmon test-report`).
type Check struct {
	Name   string
	OK     bool
	Took   time.Duration
	Detail string // what was done, or why it failed
}

// Names of the checks, in the order they run.
const (
	CheckConnectivity = "Performance channel connectivity"
	CheckFormatting   = "Data formatting"
	CheckTransmission = "Transmission"
	CheckRecovery     = "Error handling and recovery"
	CheckAlerts       = "Alert system"
)

// checkTimeout bounds each check; the whole run stays well inside the 15
// minutes an interaction token lives.
const checkTimeout = 20 * time.Second

// RunChecks proves the reporting path end to end, each check on its own:
// a test message posted straight to the performance channel; every report
// kind built from a live collection and checked against Discord's limits; a
// message taken through the durable outbox and confirmed delivered; a
// delivery forced to fail once, retried and delivered; and a synthetic
// critical alert evaluated by a copy of the rules, rendered and delivered,
// marked TEST. It never touches the real alert state.
func (a *Agent) RunChecks(ctx context.Context) []Check {
	run := func(name string, f func(context.Context) (string, error)) Check {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		defer cancel()
		start := time.Now()
		detail, err := f(cctx)
		c := Check{Name: name, OK: err == nil, Took: time.Since(start), Detail: detail}
		if err != nil {
			c.Detail = err.Error()
		}
		return c
	}
	return []Check{
		run(CheckConnectivity, a.checkConnectivity),
		run(CheckFormatting, a.checkFormatting),
		run(CheckTransmission, a.checkTransmission),
		run(CheckRecovery, a.checkRecovery),
		run(CheckAlerts, a.checkAlerts),
	}
}

// render renders rep for the performance channel, as the Reporter queues
// it (silent when routine and discord.silent_reports is on).
func (a *Agent) render(rep *reportdata.Report) (render.Payload, error) {
	return render.Render(a.reporter.ForChannel(rep))
}

func (a *Agent) testReport(title, summary string) *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventTest, Time: a.opts.now().UTC(), Host: hostName(a.res),
		Title: title, Emoji: "📋", Level: health.Excellent, Summary: summary, Test: true,
		Data: map[string]any{"check": title, "at": a.opts.now().UTC()},
	}
}

func (a *Agent) checkConnectivity(ctx context.Context) (string, error) {
	if a.sender == nil {
		return "", errNoDestination
	}
	p, err := a.render(a.testReport("Performance channel connectivity", "nexusmon can post to this channel."))
	if err != nil {
		return "", err
	}
	id, err := a.sender.Post(ctx, &p)
	if err != nil {
		return "", fmt.Errorf("post through the %s: %w", a.sender.Name(), err)
	}
	if id == "" {
		return "", fmt.Errorf("the %s accepted the message but returned no message id", a.sender.Name())
	}
	return fmt.Sprintf("message %s posted through the %s", id, a.sender.Name()), nil
}

func (a *Agent) collectNow(ctx context.Context) (*reportdata.Snapshot, error) {
	var rm metricdata.ResourceMetrics
	if err := a.manual.Collect(ctx, &rm); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	s := sdkadapter.FromMetricData(&rm)
	if s.Time.IsZero() {
		s.Time = a.opts.now().UTC()
	}
	a.addReceived(s)
	return s, nil
}

func (a *Agent) checkFormatting(ctx context.Context) (string, error) {
	snap, err := a.collectNow(ctx)
	if err != nil {
		return "", err
	}
	var reps []*reportdata.Report
	for _, ev := range []reportdata.Kind{reportdata.EventSystem, reportdata.EventNetwork, reportdata.EventMemory, reportdata.EventCommands, reportdata.EventHealth} {
		r, err := a.reporter.BuildNow(ctx, ev, snap)
		if err != nil {
			return "", fmt.Errorf("build %s: %w", ev, err)
		}
		reps = append(reps, r)
	}
	alert, err := a.reporter.TestAlert(ctx)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", reportdata.EventAlert, err)
	}
	reps = append(reps, alert, commands.ErrorReport(commands.CommandError{
		Command: "nexus", Module: "nexus", ErrorType: "test", Message: "synthetic error with @everyone and <@123> that must not ping", At: snap.Time,
	}, hostName(a.res)))
	var largest int
	for _, r := range reps {
		p, err := a.render(r)
		if err != nil {
			return "", fmt.Errorf("render %s: %w", r.Event, err)
		}
		if err := render.CheckLimits(&p); err != nil {
			return "", fmt.Errorf("%s breaks Discord's limits: %w", r.Event, err)
		}
		largest = max(largest, embedRunes(&p))
	}
	return fmt.Sprintf("%d message kinds rendered from a live collection within Discord's limits (largest %d of %d characters)", len(reps), largest, discordapi.MaxEmbedTotal), nil
}

func embedRunes(p *render.Payload) int {
	n := 0
	for _, e := range p.Embeds {
		n += len([]rune(e.Title)) + len([]rune(e.Description))
		for _, f := range e.Fields {
			n += len([]rune(f.Name)) + len([]rune(f.Value))
		}
		if e.Footer != nil {
			n += len([]rune(e.Footer.Text))
		}
	}
	return n
}

// deliverThrough enqueues p on d and waits until it is delivered.
func deliverThrough(ctx context.Context, d *deliver.Delivery, kind reportdata.Kind, p render.Payload) error {
	before := d.Stats()
	if err := d.Enqueue(ctx, deliver.Outbound{Kind: kind, Priority: report.PriorityAlert, Payload: p}); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if err := d.Flush(ctx); err != nil {
		return fmt.Errorf("not delivered: %w", err)
	}
	after := d.Stats()
	if after.Failed > before.Failed {
		return errors.New("the message was refused by Discord (see the failed outbox and the log)")
	}
	if after.Sent <= before.Sent {
		return errors.New("the outbox drained without confirming the message")
	}
	return nil
}

func (a *Agent) checkTransmission(ctx context.Context) (string, error) {
	if a.delivery == nil {
		return "", errNoDestination
	}
	p, err := a.render(a.testReport("Transmission", "This message went through nexusmon's durable outbox."))
	if err != nil {
		return "", err
	}
	if err := deliverThrough(ctx, a.delivery, reportdata.EventTest, p); err != nil {
		return "", err
	}
	return "a message went through the outbox and Discord confirmed it", nil
}

// faultSender fails its first attempt with a retryable server error, then
// behaves like the sender it wraps. It uses its own outbox destination.
type faultSender struct {
	discord.Sender
	calls atomic.Int64
}

func (f *faultSender) Name() string { return "selftest" }

func (f *faultSender) Post(ctx context.Context, p *render.Payload) (string, error) {
	if f.calls.Add(1) == 1 {
		return "", &discord.SendError{Status: 503, Retryable: true, Reason: discord.ReasonServer, Err: errors.New("injected failure (self-test)")}
	}
	return f.Sender.Post(ctx, p)
}

func (a *Agent) checkRecovery(ctx context.Context) (string, error) {
	if a.sender == nil {
		return "", errNoDestination
	}
	fs := &faultSender{Sender: a.sender}
	d, err := deliver.NewDelivery(a.st, fs, deliver.DeliveryOptions{Logger: a.log, BackoffBase: 200 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		return "", err
	}
	d.Start(ctx)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if err := d.Stop(sctx); err != nil {
			a.log.Warn("stop self-test delivery", "err", err)
		}
	}()
	p, err := a.render(a.testReport("Error handling and recovery", "The first attempt to send this message failed on purpose; the outbox retried it."))
	if err != nil {
		return "", err
	}
	if err := deliverThrough(ctx, d, reportdata.EventTest, p); err != nil {
		return "", err
	}
	if n := fs.calls.Load(); n < 2 {
		return "", fmt.Errorf("expected a retry after the injected failure, saw %d attempt(s)", n)
	}
	return fmt.Sprintf("injected failure retried with backoff and delivered (%d attempts, %d retries)", fs.calls.Load(), d.Stats().Retries), nil
}

func (a *Agent) checkAlerts(ctx context.Context) (string, error) {
	rep, err := a.reporter.TestAlert(ctx)
	if err != nil {
		return "", fmt.Errorf("evaluate a synthetic critical sample: %w", err)
	}
	if a.delivery == nil {
		return "", errNoDestination
	}
	p, err := a.render(rep)
	if err != nil {
		return "", err
	}
	if err := deliverThrough(ctx, a.delivery, reportdata.EventAlert, p); err != nil {
		return "", err
	}
	return "a synthetic critical alert (" + rep.Title + ") was rendered and delivered, marked TEST", nil
}

// ChecksReport renders a checklist as a TEST report.
func (a *Agent) ChecksReport(checks []Check) *reportdata.Report {
	passed := 0
	var lines []string
	for _, c := range checks {
		mark := "❌"
		if c.OK {
			mark = "✅"
			passed++
		}
		lines = append(lines, fmt.Sprintf("%s %s (%d ms)", mark, c.Name, c.Took.Milliseconds()))
	}
	r := a.testReport(fmt.Sprintf("Reporting self-test: %d/%d passed", passed, len(checks)), strings.Join(lines, "\n"))
	if passed < len(checks) {
		r.Level = health.Poor
	}
	type checkJSON struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		TookMS int64  `json:"took_ms"`
		Detail string `json:"detail"`
	}
	var data []checkJSON
	for _, c := range checks {
		mark := "✅"
		if !c.OK {
			mark = "❌"
		}
		r.Sections = append(r.Sections, reportdata.Section{Name: mark + " " + c.Name, Fields: []reportdata.Field{{Value: c.Detail}}})
		data = append(data, checkJSON{Name: c.Name, OK: c.OK, TookMS: c.Took.Milliseconds(), Detail: c.Detail})
	}
	r.Data = map[string]any{"passed": passed, "total": len(checks), "checks": data}
	return r
}

// TestReport runs the reporting self-test from the command line: it starts
// the agent's instrumentation and delivery (no HTTP listener, probes or
// gateway session), runs RunChecks, prints the checklist to w, and returns
// the process exit code: 0 when every check passed, 1 otherwise.
func TestReport(ctx context.Context, cfg *config.Config, w io.Writer, opts ...Option) int {
	// A store of its own: the daemon may be running on the configured one
	// (the store is locked to one process), and the self-test's messages must
	// not mix with its outbox or events file.
	dir, err := os.MkdirTemp("", "nexusmon-test-report-")
	if err != nil {
		fmt.Fprintf(w, "❌ nexusmon cannot start: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir) // best effort: a temporary directory
	c := *cfg
	c.Storage.Path = filepath.Join(dir, "nexusmon.db")
	c.Output.JSONL = ""
	cfg = &c
	opts = append(opts, func(o *options) { o.checksOnly = true }, WithStdout(io.Discard))
	a, err := New(ctx, cfg, opts...)
	if err != nil {
		fmt.Fprintf(w, "❌ nexusmon cannot start: %v\n", err)
		return 1
	}
	code := 1
	if err := a.Start(ctx); err != nil {
		fmt.Fprintf(w, "❌ nexusmon cannot start: %v\n", err)
	} else {
		checks := a.RunChecks(ctx)
		failed := 0
		for _, c := range checks {
			mark := "✅"
			if !c.OK {
				mark = "❌"
				failed++
			}
			fmt.Fprintf(w, "%s %-34s %6d ms  %s\n", mark, c.Name, c.Took.Milliseconds(), c.Detail)
		}
		fmt.Fprintf(w, "%d/%d checks passed\n", len(checks)-failed, len(checks))
		if failed == 0 {
			code = 0
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.Stop(sctx); err != nil {
		fmt.Fprintf(w, "stop: %v\n", err)
	}
	return code
}
