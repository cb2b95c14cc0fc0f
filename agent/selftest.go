package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/agent/internal/selftest"
	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/report/reportdata"
	"github.com/nexusmon/nexusmon/sdkadapter"
)

// Check is one line of the reporting self-test (/nexus test_reporting and
// `nexusmon test-report`): its Name (one of the Check* constants), whether
// it passed (OK), how long it took (Took) and its Detail (what was done,
// or why it failed).
type Check = selftest.Check

// Names of the checks, in the order they run.
const (
	CheckConnectivity = selftest.Connectivity
	CheckFormatting   = selftest.Formatting
	CheckTransmission = selftest.Transmission
	CheckRecovery     = selftest.Recovery
	CheckAlerts       = selftest.Alerts
)

// RunChecks proves the reporting path end to end, each check on its own:
// a test message posted straight to the performance channel; every report
// kind built from a live collection and checked against Discord's limits; a
// message taken through the durable outbox and confirmed delivered; a
// delivery forced to fail once, retried and delivered; and a synthetic
// critical alert evaluated by a copy of the rules, rendered and delivered,
// marked TEST. It never touches the real alert state.
func (a *Agent) RunChecks(ctx context.Context) []Check {
	return selftest.Run(ctx, a.selftestDeps())
}

// ChecksReport renders a checklist as a TEST report.
func (a *Agent) ChecksReport(checks []Check) *reportdata.Report {
	return selftest.Report(a.selftestDeps(), checks)
}

// selftestDeps is what the reporting self-test (internal/selftest) takes
// from the agent.
func (a *Agent) selftestDeps() selftest.Deps {
	return selftest.Deps{
		Sender: a.sender, Delivery: a.delivery, Store: a.st, Reporter: a.reporter, Collect: a.collectNow,
		Now: a.opts.now, Host: hostName(a.res), Log: a.log, NoDestination: errNoDestination,
	}
}

// collect collects the agent's ManualReader and the watched process's
// provider into rm (procres.Watcher.Collect).
func (a *Agent) collect(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return a.procW.Collect(ctx, a.manual, rm)
}

// collectNow collects for an on-demand report. The received points are not
// added here: every caller builds through Reporter.BuildNow, whose Augment
// adds them (twice would double a received sum).
func (a *Agent) collectNow(ctx context.Context) (*reportdata.Snapshot, error) {
	var rm metricdata.ResourceMetrics
	if err := a.collect(ctx, &rm); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	s := sdkadapter.FromMetricData(&rm)
	if s.Time.IsZero() {
		s.Time = a.opts.now().UTC()
	}
	return s, nil
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
