// Package agent wires nexusmon together from a Config: the OTel providers and
// readers, the instrumentation, the embedded store, the report engine
// (report, render, deliver), and the HTTP endpoints (internal/httpapi). It
// is also the library entry point for Go bots (New, Start, Stop). OTLP export and the forwarding of what the
// receiver gets are internal/otlpexport's. Nothing imports agent but
// cmd/nexusmon and users' bots.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/nexusmon/nexusmon/config"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/instrumentation/host"
	"github.com/nexusmon/nexusmon/instrumentation/probe"
	"github.com/nexusmon/nexusmon/instrumentation/runtime"
	"github.com/nexusmon/nexusmon/internal/otlpexport"
	"github.com/nexusmon/nexusmon/internal/procres"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Version is the agent's version, set at build time with
// -ldflags "-X github.com/nexusmon/nexusmon/agent.Version=…".
var Version = "dev"

// Option configures an Agent.
type Option func(*options)

type options struct {
	logger *slog.Logger
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
	env    func(string) (string, bool)

	session    *discordgo.Session
	noRegister bool
	checksOnly bool // test-report: no HTTP listener, probes, start notice or gateway session

	// failAt makes New fail at the named build step (tests of New's cleanup).
	failAt string

	sdkOptions
	level         *slog.LevelVar // set from log.level; see WithLogLevel
	configFile    string         // see WithConfigFile
	hasConfigFile bool
}

// WithEnv sets how the agent reads OTEL_* variables, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES included (default os.LookupEnv); tests use it
// instead of changing the process environment.
func WithEnv(lookup func(string) (string, bool)) Option { return func(o *options) { o.env = lookup } }

// WithLogger sets the agent's logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithStdout sets where console reports go (default os.Stdout).
func WithStdout(w io.Writer) Option { return func(o *options) { o.stdout = w } }

// WithStderr sets where the console exporters (OTEL_METRICS_EXPORTER and
// OTEL_TRACES_EXPORTER=console) write (default os.Stderr).
func WithStderr(w io.Writer) Option { return func(o *options) { o.stderr = w } }

// Agent is a running nexusmon.
type Agent struct {
	cfg  *config.Config
	opts options
	log  *slog.Logger

	res     *resource.Resource
	readers []sdkmetric.Reader // shut down by New's cleanup when mp was never built
	mp      *sdkmetric.MeterProvider
	manual  *sdkmetric.ManualReader
	// reports are the five report schedules over manual, by event: Start
	// runs them (the system report's first at once), Reload changes their
	// intervals.
	reports   map[reportdata.Kind]*reportReader
	tp        trace.TracerProvider     // ownTP, or the bot's (WithTracerProvider)
	ownTP     *sdktrace.TracerProvider // nil when the bot's is used
	otlpM     *otlpexport.Counter
	otlpT     *otlpexport.Counter
	exportReg metric.Registration
	reporter  *report.Reporter
	st        *store.Store
	events    *eventsFile

	hostC    *host.Collector
	procW    *procres.Watcher   // the watched process, its own resource and provider
	procExp  sdkmetric.Exporter // procW's OTLP exporter; nil when off
	rtC      *runtime.Collector
	prober   *probe.Prober
	httpSrv  *http.Server
	httpAddr string

	botState
	sdkState
	receiverState
	reloadState

	stopOnce sync.Once
	cancel   context.CancelFunc
	started  time.Time

	// bgMu guards stopping and every wg.Add: work is started only before
	// Stop sets stopping, so no Add races Stop's Wait (sync.WaitGroup's
	// rule), and a handler discordgo calls during or after Stop starts
	// nothing.
	bgMu     sync.Mutex
	stopping bool
	wg       sync.WaitGroup
}

// MeterProvider returns the agent's meter provider, for a bot's own
// instruments: the bot's own with WithMeterProvider.
func (a *Agent) MeterProvider() metric.MeterProvider { return a.mp }

// TracerProvider returns the tracer provider of the command spans: the
// bot's own with WithTracerProvider.
func (a *Agent) TracerProvider() trace.TracerProvider { return a.tp }

func (a *Agent) consoleOn() bool {
	switch a.cfg.Output.Console {
	case "on":
		return true
	case "off":
		return false
	default: // auto: the console is the default output when no Discord destination is configured
		return a.cfg.Discord.Mode() == config.DeliveryConsole
	}
}

// Start starts collection, reporting and the HTTP endpoints.
func (a *Agent) Start(ctx context.Context) error {
	a.started = a.opts.now()
	var err error
	if a.hostC, err = host.Start(a.mp, host.Options{Logger: a.log}); err != nil {
		return fmt.Errorf("start host instrumentation: %w", err)
	}
	a.procW.Refresh(ctx) // its provider exports from now on
	if a.rtC, err = runtime.Start(a.mp, runtime.Options{Logger: a.log}); err != nil {
		return fmt.Errorf("start runtime instrumentation: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	if err := a.startProbes(runCtx, a.Config().Probes); err != nil {
		return err
	}
	if a.httpSrv != nil {
		ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", a.cfg.HTTP.Listen, err)
		}
		a.httpAddr = ln.Addr().String()
		a.goBackground(func() {
			if err := a.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("http server", "err", err)
			}
		})
	}
	a.goBackground(func() { a.pruneLoop(runCtx) })
	if err := a.startBot(runCtx); err != nil {
		return err
	}
	if err := a.startReceiver(); err != nil {
		return err
	}
	for event, r := range a.reports {
		// The first system report is published at start, the rest one
		// interval after it; the others wait their first interval.
		now := event == reportdata.EventSystem && !a.opts.checksOnly
		a.goBackground(func() { r.run(runCtx, now, a.log) })
	}
	if !a.opts.checksOnly {
		if err := a.reporter.Info(runCtx, "agent", "nexusmon "+Version+" started on "+hostName(a.res)); err != nil {
			a.log.Warn("publish start notice", "err", err)
		}
	}
	a.logStarted()
	return nil
}

// HTTPAddr returns the address the HTTP endpoints listen on ("" when off).
func (a *Agent) HTTPAddr() string { return a.httpAddr }

// Reporter returns the agent's report publisher.
func (a *Agent) Reporter() *report.Reporter { return a.reporter }

// goBackground runs f in a goroutine that Stop waits for, unless Stop has
// begun: then it starts nothing and returns false.
func (a *Agent) goBackground(f func()) bool {
	a.bgMu.Lock()
	defer a.bgMu.Unlock()
	if a.stopping {
		return false
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		f()
	}()
	return true
}

// waitBackground waits for the work goBackground started, or for ctx.
func (a *Agent) waitBackground(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("background work still running: %w", ctx.Err())
	}
}

// Stop stops everything, within ctx's deadline: it returns by then even when
// Discord holds a connection attempt or a request open (they are cancelled
// and end on their own). It is safe to call more than once.
func (a *Agent) Stop(ctx context.Context) error {
	var errs []error
	a.stopOnce.Do(func() {
		a.bgMu.Lock()
		a.stopping = true
		a.bgMu.Unlock()
		a.reporter.BeginShutdown()
		if a.cancel != nil {
			a.cancel()
		}
		if a.httpSrv != nil {
			if err := a.httpSrv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stop http: %w", err))
			}
		}
		errs = append(errs, a.stopReceiver(ctx)...)
		if err := a.stopProbes(); err != nil {
			errs = append(errs, err)
		}
		for _, c := range []stopper{a.hostC, a.rtC} {
			if isNil(c) {
				continue
			}
			if err := c.Stop(); err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, a.stopBot(ctx)...)
		if a.exportReg != nil {
			if err := a.exportReg.Unregister(); err != nil {
				errs = append(errs, err)
			}
		}
		// The background work ends first; the providers' last flushes then
		// share what is left of ctx, at the same time: with a slow or
		// unreachable backend the stop waits for one of them, not the sum,
		// and none is left without time. A failed flush is counted and
		// logged, not a failure to stop. The bot's providers are the bot's
		// to shut down (see WithMeterProvider).
		if err := a.waitBackground(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop: %w", err))
		}
		var flushes sync.WaitGroup
		flush := func(failed string, shutdown func(context.Context) error) {
			flushes.Go(func() {
				if err := shutdown(ctx); err != nil {
					a.log.Warn(failed, "err", err)
				}
			})
		}
		flush("stop the watched process's metrics", a.procW.Shutdown)
		if a.ownTP != nil {
			flush("final trace export failed", a.ownTP.Shutdown)
		}
		if !a.botMP {
			flush("final metric export failed", a.mp.Shutdown)
		}
		flushes.Wait()
		if err := a.closeResources(); err != nil {
			errs = append(errs, err)
		}
		a.log.Info("nexusmon stopped", "err", errors.Join(errs...))
	})
	return errors.Join(errs...)
}

type stopper interface{ Stop() error }

// isNil reports whether a collector was never started (a typed nil pointer
// in an interface).
func isNil(s stopper) bool {
	switch c := s.(type) {
	case *host.Collector:
		return c == nil
	case *runtime.Collector:
		return c == nil
	}
	return s == nil
}

func probeTargets(p config.Probes) []probe.Target {
	var t []probe.Target
	if p.DiscordAPI != "" {
		t = append(t, probe.Target{URL: p.DiscordAPI, Kind: probe.KindDiscordAPI})
	}
	for _, u := range p.Internet {
		t = append(t, probe.Target{URL: u, Kind: probe.KindInternet})
	}
	return t
}

// Run starts the agent, waits for ctx to end, and stops it within 5 s.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return errors.Join(err, a.Stop(stopCtx))
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return a.Stop(stopCtx)
}

func (a *Agent) pruneLoop(ctx context.Context) {
	if a.cfg.Storage.Retention <= 0 {
		return
	}
	prune := func() {
		n, err := a.st.Prune(ctx, a.opts.now().Add(-a.cfg.Storage.Retention))
		if err != nil {
			a.log.Warn("prune store", "err", err)
			return
		}
		if n > 0 {
			a.log.Info("pruned store", "rows", n)
		}
	}
	prune()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			prune()
		}
	}
}

func hostName(res *resource.Resource) string {
	if v, ok := res.Set().Value("host.name"); ok {
		return v.AsString()
	}
	h, err := os.Hostname()
	if err != nil {
		return "unknown-host"
	}
	return h
}

func thresholds(cfg *config.Config) reportdata.Thresholds {
	t := func(c config.Threshold) health.Thresholds {
		return health.Thresholds{Warning: c.Warning, Critical: c.Critical}
	}
	th := cfg.Thresholds
	return reportdata.Thresholds{
		CPU: t(th.CPUPercent), Memory: t(th.MemoryPercent), Disk: t(th.DiskPercent),
		Response: t(th.ResponseMS), Network: t(th.NetworkMS),
	}
}
