package agent

// Building an Agent from a Config, step by step, and undoing every step when
// one fails (New); agent.go runs what this builds.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/nexusmon/nexusmon/agent/internal/httpapi"
	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/internal/otlpexport"
	"github.com/nexusmon/nexusmon/internal/procres"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/render/chart"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
	"github.com/nexusmon/nexusmon/sdkadapter"
)

// New builds an Agent from cfg. It validates cfg (a library caller may not
// have used LoadConfig), opens the store and the events file, and sets up
// the providers, but starts no collection; call Start. When New fails it has
// released everything it set up: no reader, exporter or file stays open.
func New(ctx context.Context, cfg *config.Config, opts ...Option) (*Agent, error) {
	if cfg == nil {
		return nil, errors.New("nexusmon: nil config (use DefaultConfig or LoadConfig)")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid config: %w", err)
	}
	o := options{logger: slog.New(slog.DiscardHandler), stdout: os.Stdout, stderr: os.Stderr, now: time.Now, env: os.LookupEnv}
	for _, fn := range opts {
		fn(&o)
	}
	a := &Agent{cfg: cfg, opts: o, log: o.logger}
	if o.level != nil {
		if err := o.level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
			return nil, fmt.Errorf("log.level: %w", err) // unreachable: validated
		}
	}
	if err := a.build(ctx); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := a.release(rctx); rerr != nil {
			a.log.Warn("release after a failed start", "err", rerr)
		}
		return nil, err
	}
	return a, nil
}

// errInjected is the failure a test asks for with failAt.
var errInjected = errors.New("injected failure")

// step returns errInjected when a test asked New to fail at name.
func (a *Agent) step(name string) error {
	if a.opts.failAt == name {
		return fmt.Errorf("%s: %w", name, errInjected)
	}
	return nil
}

// release undoes what build set up, whatever step it reached.
func (a *Agent) release(ctx context.Context) error {
	var errs []error
	for _, rm := range a.removers {
		rm()
	}
	if a.opts.session != nil && a.session != nil {
		a.session.Client.Transport = a.origTransport
	}
	if a.observer != nil {
		errs = append(errs, a.observer.Close())
	}
	if a.instr != nil {
		errs = append(errs, a.instr.Close())
	}
	if a.exportReg != nil {
		errs = append(errs, a.exportReg.Unregister())
	}
	if a.fwd != nil {
		errs = append(errs, a.fwd.Stop(ctx))
	}
	if a.ownTP != nil {
		errs = append(errs, a.ownTP.Shutdown(ctx))
	}
	if a.procW != nil {
		errs = append(errs, a.procW.Shutdown(ctx)) // and procExp
	} else if a.procExp != nil {
		errs = append(errs, a.procExp.Shutdown(ctx))
	}
	if a.mp != nil && !a.botMP {
		errs = append(errs, a.mp.Shutdown(ctx))
	} else { // the bot's provider (or none yet): nexusmon's readers are ours to stop
		for _, r := range a.readers {
			errs = append(errs, r.Shutdown(ctx))
		}
	}
	// A sender constructor that failed leaves a typed nil in a.sender.
	if c, ok := a.sender.(interface{ CloseIdleConnections() }); ok && !isNilPointer(c) {
		c.CloseIdleConnections()
	}
	errs = append(errs, a.closeResources())
	return errors.Join(errs...)
}

func (a *Agent) build(ctx context.Context) error {
	cfg := a.cfg
	if err := a.step("resource"); err != nil {
		return err
	}
	res, err := a.newResource(ctx)
	if err != nil {
		return err
	}
	a.res = res

	if err := a.step("store"); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Storage.Path, store.WithLogger(a.log), store.WithFlushInterval(cfg.Storage.FlushInterval))
	if err != nil {
		return fmt.Errorf("storage.path: %w", err)
	}
	a.st = st

	if cfg.Output.JSONL != "" {
		if err := a.step("events"); err != nil {
			return err
		}
		ef, err := openEvents(cfg.Output.JSONL)
		if err != nil {
			return fmt.Errorf("output.jsonl: %w", err)
		}
		a.events = ef
	}

	rs := reporterSettings(cfg) // the keys a reload can change
	ropts := report.Options{
		Host:          hostName(res),
		Thresholds:    rs.Thresholds,
		Modes:         rs.Modes,
		Alerts:        rs.Alerts,
		SilentReports: rs.SilentReports,
		Store:         st,
		Chart:         chart.Render,
		Logger:        a.log,
		Now:           a.opts.now,
		Augment:       a.augment,
	}
	if a.consoleOn() {
		ropts.Console = render.ConsoleWriter{W: a.opts.stdout}
	}
	if a.events != nil {
		ropts.Events = a.events
	}
	a.reporter = report.NewReporter(ropts)

	// One ManualReader for the five reports and the on-demand collections
	// (/nexus status and health, test_reporting); see reportReader.
	a.manual = sdkmetric.NewManualReader()
	a.readers = append(a.readers, a.manual)
	a.reports = make(map[reportdata.Kind]*reportReader, 5)
	for _, rc := range reportIntervals(cfg) {
		// Collections start with Start (runReports), not here.
		a.reports[rc.event] = newReportReader(a.collect, sdkadapter.NewExporter(a.reporter, rc.event), rc.interval)
	}
	if err := a.step("readers"); err != nil {
		return err
	}
	if err := a.step("prometheus"); err != nil {
		return err
	}
	pe, err := a.newPrometheusReader() // always: MetricsHandler serves it without http.listen too
	if err != nil {
		return err
	}
	a.readers = append(a.readers, pe)
	if cfg.HTTP.Listen != "" && !a.opts.checksOnly {
		a.httpSrv = httpapi.NewServer(a.httpDeps())
	}
	ms, err := otlpexport.For("metrics", cfg.OTLP, a.opts.env)
	if err != nil {
		return err
	}
	// A bot's own MeterProvider has its own exporters (they read the same
	// OTEL_* variables): nexusmon adds none, or everything would go twice.
	ownMP := a.opts.meterProvider == nil
	ro := otlpexport.ReaderOptions(cfg.OTLP, a.opts.env)
	if ms.Enabled {
		if err := a.step("otlp_metrics"); err != nil {
			return err
		}
		// The watched process's providers (procres) export with an exporter
		// of their own, beside the bot's provider too: nothing else sends them.
		exp, err := otlpexport.NewMetricExporter(ctx, ms)
		if err != nil {
			return fmt.Errorf("otlp metrics: %w", err)
		}
		a.otlpM = otlpexport.NewCounter("otlp_metrics", a.log)
		a.procExp = a.otlpM.MetricExporter(exp)
	}
	if ms.Enabled && ownMP {
		exp, err := otlpexport.NewMetricExporter(ctx, ms)
		if err != nil {
			return fmt.Errorf("otlp metrics: %w", err)
		}
		a.readers = append(a.readers, sdkmetric.NewPeriodicReader(a.otlpM.MetricExporter(exp), ro...))
		a.log.Info("otlp metric export on", "protocol", ms.Protocol)
		a.logFleetMode(res)
	}
	if ms.Console && ownMP {
		r, err := otlpexport.NewConsoleMetricReader(a.opts.stderr, ro)
		if err != nil {
			return err
		}
		a.readers = append(a.readers, r)
		a.log.Info("console metric export on (stderr)")
	}
	if a.mp, err = a.newMeterProvider(res); err != nil {
		return err
	}
	if err := a.step("meter_provider"); err != nil {
		return err
	}
	po := procres.Options{PID: cfg.Process.PID, PIDFile: cfg.Process.PIDFile, Base: res, Health: a.mp,
		Registerer: a.promReg, Exporter: a.procExp, ReaderOptions: ro, Logger: a.log}
	if ms.Console {
		po.Console = a.opts.stderr
	}
	if a.procW, err = procres.New(po); err != nil {
		return err
	}

	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	ts, err := otlpexport.For("traces", cfg.OTLP, a.opts.env)
	if err != nil {
		return err
	}
	ownTP := a.opts.tracerProvider == nil
	if ts.Enabled && ownTP {
		if err := a.step("otlp_traces"); err != nil {
			return err
		}
		exp, err := otlpexport.NewSpanExporter(ctx, ts)
		if err != nil {
			return fmt.Errorf("otlp traces: %w", err)
		}
		a.otlpT = otlpexport.NewCounter("otlp_traces", a.log)
		tpOpts = append(tpOpts, sdktrace.WithBatcher(a.otlpT.SpanExporter(exp)))
		a.log.Info("otlp trace export on", "protocol", ts.Protocol)
	}
	if ts.Console && ownTP {
		exp, err := otlpexport.NewConsoleSpanExporter(a.opts.stderr)
		if err != nil {
			return err
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
		a.log.Info("console trace export on (stderr)")
	}
	if !ownTP {
		a.tp = a.opts.tracerProvider
	} else {
		a.ownTP = sdktrace.NewTracerProvider(tpOpts...)
		a.tp = a.ownTP
	}
	if err := a.step("self_metrics"); err != nil {
		return err
	}
	if cfg.Receiver.OTLP.HTTP != "" && !a.opts.checksOnly {
		if err := a.step("forwarder"); err != nil {
			return err
		}
		if a.fwd, err = otlpexport.NewForwarder(ctx, ts, ms, a.opts.env, a.log); err != nil {
			return err
		}
	}
	if a.exportReg, err = otlpexport.RegisterSelfMetrics(a.mp, a.st.Errors,
		append([]*otlpexport.Counter{a.otlpM, a.otlpT}, a.fwd.Counters()...)...); err != nil {
		return fmt.Errorf("register self instruments: %w", err)
	}
	if err := a.buildBot(); err != nil {
		return err
	}
	return a.buildReceiver()
}

// isNilPointer reports whether v holds a nil pointer.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

type reportInterval struct {
	event    reportdata.Kind
	interval time.Duration
}

func reportIntervals(cfg *config.Config) []reportInterval {
	return []reportInterval{
		{reportdata.EventSystem, cfg.Reports.System.Interval},
		{reportdata.EventNetwork, cfg.Reports.Network.Interval},
		{reportdata.EventMemory, cfg.Reports.Memory.Interval},
		{reportdata.EventCommands, cfg.Reports.Commands.Interval},
		{reportdata.EventHealth, cfg.Reports.Health.Interval},
	}
}

func (a *Agent) closeResources() error {
	var errs []error
	if a.events != nil {
		if err := a.events.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if a.st != nil {
		if err := a.st.Close(); err != nil {
			errs = append(errs, err) // "close store PATH: …"
		}
	}
	return errors.Join(errs...)
}
