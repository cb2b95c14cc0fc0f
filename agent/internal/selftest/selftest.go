package selftest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nexusmon/nexusmon/deliver"
	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build/commands"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Deps is what the self-test takes from the agent.
type Deps struct {
	Sender   discord.Sender    // the Discord sender; nil without a destination
	Delivery *deliver.Delivery // the agent's outbox; nil without a destination
	Store    deliver.Outbox    // the store, for the recovery check's own delivery
	Reporter Reporter
	// Collect collects the agent's instruments now; BuildNow adds what the receiver got.
	Collect func(context.Context) (*reportdata.Snapshot, error)
	Now     func() time.Time
	Host    string
	Log     *slog.Logger
	// NoDestination is a check's error without a Discord destination.
	NoDestination error
}

// Reporter is what the self-test uses of the agent's report.Reporter.
type Reporter interface {
	ForChannel(*reportdata.Report) *reportdata.Report
	BuildNow(context.Context, reportdata.Kind, *reportdata.Snapshot) (*reportdata.Report, error)
	TestAlert(context.Context) (*reportdata.Report, error)
}

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
	Connectivity = "Performance channel connectivity"
	Formatting   = "Data formatting"
	Transmission = "Transmission"
	Recovery     = "Error handling and recovery"
	Alerts       = "Alert system"
)

// checkTimeout bounds each check; the whole run stays well inside the 15
// minutes an interaction token lives.
const checkTimeout = 20 * time.Second

// Run proves the reporting path end to end, each check on its own:
// a test message posted straight to the performance channel; every report
// kind built from a live collection and checked against Discord's limits; a
// message taken through the durable outbox and confirmed delivered; a
// delivery forced to fail once, retried and delivered; and a synthetic
// critical alert evaluated by a copy of the rules, rendered and delivered,
// marked TEST. It never touches the real alert state.
func Run(ctx context.Context, d Deps) []Check {
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
		run(Connectivity, d.checkConnectivity),
		run(Formatting, d.checkFormatting),
		run(Transmission, d.checkTransmission),
		run(Recovery, d.checkRecovery),
		run(Alerts, d.checkAlerts),
	}
}

// render renders rep for the performance channel, as the Reporter queues
// it (silent when routine and discord.silent_reports is on).
func (d Deps) render(rep *reportdata.Report) (render.Payload, error) {
	return render.Render(d.Reporter.ForChannel(rep))
}

func (d Deps) testReport(title, summary string) *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventTest, Time: d.Now().UTC(), Host: d.Host,
		Title: title, Emoji: "📋", Level: health.Excellent, Summary: summary, Test: true,
		Data: map[string]any{"check": title, "at": d.Now().UTC()},
	}
}

func (d Deps) checkConnectivity(ctx context.Context) (string, error) {
	if d.Sender == nil {
		return "", d.NoDestination
	}
	p, err := d.render(d.testReport("Performance channel connectivity", "nexusmon can post to this channel."))
	if err != nil {
		return "", err
	}
	id, err := d.Sender.Post(ctx, &p)
	if err != nil {
		return "", fmt.Errorf("post through the %s: %w", d.Sender.Name(), err)
	}
	if id == "" {
		return "", fmt.Errorf("the %s accepted the message but returned no message id", d.Sender.Name())
	}
	return fmt.Sprintf("message %s posted through the %s", id, d.Sender.Name()), nil
}

func (d Deps) checkFormatting(ctx context.Context) (string, error) {
	snap, err := d.Collect(ctx)
	if err != nil {
		return "", err
	}
	var reps []*reportdata.Report
	for _, ev := range []reportdata.Kind{reportdata.EventSystem, reportdata.EventNetwork, reportdata.EventMemory, reportdata.EventCommands, reportdata.EventHealth} {
		r, err := d.Reporter.BuildNow(ctx, ev, snap)
		if err != nil {
			return "", fmt.Errorf("build %s: %w", ev, err)
		}
		reps = append(reps, r)
	}
	alert, err := d.Reporter.TestAlert(ctx)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", reportdata.EventAlert, err)
	}
	reps = append(reps, alert, commands.ErrorReport(commands.CommandError{
		Command: "nexus", Module: "nexus", ErrorType: "test", Message: "synthetic error with @everyone and <@123> that must not ping", At: snap.Time,
	}, d.Host))
	var largest int
	for _, r := range reps {
		p, err := d.render(r)
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

func (d Deps) checkTransmission(ctx context.Context) (string, error) {
	if d.Delivery == nil {
		return "", d.NoDestination
	}
	p, err := d.render(d.testReport("Transmission", "This message went through nexusmon's durable outbox."))
	if err != nil {
		return "", err
	}
	if err := deliverThrough(ctx, d.Delivery, reportdata.EventTest, p); err != nil {
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

func (d Deps) checkRecovery(ctx context.Context) (string, error) {
	if d.Sender == nil {
		return "", d.NoDestination
	}
	fs := &faultSender{Sender: d.Sender}
	del, err := deliver.NewDelivery(d.Store, fs, deliver.DeliveryOptions{Logger: d.Log, BackoffBase: 200 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		return "", err
	}
	del.Start(ctx)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if err := del.Stop(sctx); err != nil {
			d.Log.Warn("stop self-test delivery", "err", err)
		}
	}()
	p, err := d.render(d.testReport("Error handling and recovery", "The first attempt to send this message failed on purpose; the outbox retried it."))
	if err != nil {
		return "", err
	}
	if err := deliverThrough(ctx, del, reportdata.EventTest, p); err != nil {
		return "", err
	}
	if n := fs.calls.Load(); n < 2 {
		return "", fmt.Errorf("expected a retry after the injected failure, saw %d attempt(s)", n)
	}
	return fmt.Sprintf("injected failure retried with backoff and delivered (%d attempts, %d retries)", fs.calls.Load(), del.Stats().Retries), nil
}

func (d Deps) checkAlerts(ctx context.Context) (string, error) {
	rep, err := d.Reporter.TestAlert(ctx)
	if err != nil {
		return "", fmt.Errorf("evaluate a synthetic critical sample: %w", err)
	}
	if d.Delivery == nil {
		return "", d.NoDestination
	}
	p, err := d.render(rep)
	if err != nil {
		return "", err
	}
	if err := deliverThrough(ctx, d.Delivery, reportdata.EventAlert, p); err != nil {
		return "", err
	}
	return "a synthetic critical alert (" + rep.Title + ") was rendered and delivered, marked TEST", nil
}

// Report renders a checklist as a TEST report.
func Report(d Deps, checks []Check) *reportdata.Report {
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
	r := d.testReport(fmt.Sprintf("Reporting self-test: %d/%d passed", passed, len(checks)), strings.Join(lines, "\n"))
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
