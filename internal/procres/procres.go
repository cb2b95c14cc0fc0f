// Package procres makes the watched bot process its own OpenTelemetry
// resource: one MeterProvider per watched process, whose resource carries
// process.pid and process.executable.name, holding the process
// instruments (instrumentation/process). A Watcher finds the process (the
// configured pid, or the pid a pid file names) outside any SDK callback,
// before each collection it is asked for (Collect) and before each
// Prometheus scrape; when the process changes (another pid, or the pid
// reused by a process started at another time) it builds the new
// provider and shuts the old one down, so that a crash-looping bot leaves
// nothing behind. The SDK runs callbacks under its pipeline lock and never
// forgets a meter: a provider per process is what can be dropped whole.
// While the pid stays the same, the process is identified again only when
// it may have changed: its pidfd (held by the provider, closed with it)
// polls readable once it exits; without pidfds (an old kernel, a proc
// root other than /proc) its start time is read and compared; the agent
// itself is never identified again.
//
// Each provider has a ManualReader, which Collect merges into a collection
// of the agent's own provider for the Discord reports; a PeriodicReader
// over the OTLP exporter the Watcher was given (shared by the providers,
// shut down with the Watcher); and a Prometheus exporter without
// target_info, its resource's process.pid and process.executable.name as
// labels, served through one collector registered once on the agent's
// registry. process.command_line is never on the resource: no setting
// allows it, and a bot's command line may hold its token.
package procres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/nexusmon/nexusmon/instrumentation/process"
	"github.com/nexusmon/nexusmon/internal/collect"
	"github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/otlpexport"
)

// Resource attribute keys of the watched process.
const (
	keyPID  = attribute.Key(names.AttrProcessPID)
	keyExec = attribute.Key("process.executable.name")
)

// shutdownTimeout bounds the shutdown (a final OTLP export) of a replaced
// provider.
const shutdownTimeout = 10 * time.Second

// Options configures New. PID 0 and PIDFile "" watch the calling process.
type Options struct {
	PID     int
	PIDFile string // re-read before each collection
	// Base is the resource the processes' resources start from (the
	// agent's); its process.* attributes are dropped: they are nexusmon's.
	Base *resource.Resource
	// Health is the agent's MeterProvider, where nexusmon.collector.*
	// (nexusmon.collector="process") are recorded.
	Health metric.MeterProvider
	// Registerer, when set, gets the collector of the processes'
	// Prometheus exporters, registered once.
	Registerer prometheus.Registerer
	// Exporter, when set, is the OTLP exporter of every provider's
	// PeriodicReader (with ReaderOptions); Shutdown shuts it down.
	Exporter      sdkmetric.Exporter
	ReaderOptions []sdkmetric.PeriodicReaderOption
	// Console, when set, gets a console metric reader per provider.
	Console io.Writer
	// ProcRoot is the proc file system ("" : $HOST_PROC, else /proc).
	ProcRoot string
	Logger   *slog.Logger
}

// Watcher follows the watched process and owns its provider. Its methods
// are safe for concurrent use.
type Watcher struct {
	opts   Options
	base   []attribute.KeyValue
	gauges collect.Gauges
	source metric.MeasurementOption
	log    *slog.Logger
	prom   *promSwitch

	mu      sync.Mutex
	ident   *process.Identifier // guarded by mu
	cur     *provider           // nil: no pid, or shut down
	noPID   bool                // the last refresh found no pid (logged once)
	shut    bool
	retired sync.WaitGroup // shutdowns of replaced providers
}

// provider is the MeterProvider of one process.
type provider struct {
	id     process.Identity
	h      *process.Handle // tells whether the process under id.PID changed; closed with the provider
	res    *resource.Resource
	mp     *sdkmetric.MeterProvider
	manual *sdkmetric.ManualReader
	coll   *process.Collector
	prom   prometheus.Collector // nil without a Registerer
	pid    attribute.KeyValue

	mu   sync.Mutex // guards sets
	sets map[attribute.Distinct]attribute.Set
}

// New returns a Watcher; it finds the process at its first Refresh.
func New(opts Options) (*Watcher, error) {
	if opts.PID != 0 && opts.PIDFile != "" {
		return nil, errors.New("process: set pid or pid_file, not both")
	}
	if opts.PID < 0 {
		return nil, fmt.Errorf("process: invalid pid %d", opts.PID)
	}
	if opts.Health == nil {
		return nil, errors.New("procres: nil Health MeterProvider")
	}
	w := &Watcher{opts: opts, log: opts.Logger, prom: &promSwitch{}, ident: process.NewIdentifier(opts.ProcRoot)}
	w.opts.ProcRoot = w.ident.Root() // $HOST_PROC read once
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if opts.Base != nil {
		for _, kv := range opts.Base.Attributes() {
			if !strings.HasPrefix(string(kv.Key), "process.") {
				w.base = append(w.base, kv)
			}
		}
	}
	var err error
	if w.gauges, err = collect.NewGauges(opts.Health); err != nil {
		return nil, err
	}
	w.source = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrCollector, "process")))
	if opts.Registerer != nil {
		w.prom.refresh = func() { w.Refresh(context.Background()) }
		if err := opts.Registerer.Register(w.prom); err != nil {
			return nil, fmt.Errorf("register process metrics collector: %w", err)
		}
	}
	return w, nil
}

// PID returns the pid watched now; 0 when none.
func (w *Watcher) PID() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return 0
	}
	return w.cur.id.PID
}

// Resource returns the resource of the watched process's provider; nil
// when there is none.
func (w *Watcher) Resource() *resource.Resource {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return nil
	}
	return w.cur.res
}

// Refresh finds the watched process and, when it changed, replaces the
// provider. Without a pid (pid file missing or invalid) there is no
// provider: nexusmon.collector.success{process} reads 0 and nothing else
// names a process. A pid without a process keeps (or gets) its provider,
// whose nexusmon.process.status reads not_found.
func (w *Watcher) Refresh(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.shut {
		return
	}
	pid, err := w.resolvePID()
	if err != nil {
		w.gauges.Record(ctx, false, 0, w.source)
		if !w.noPID {
			w.log.Warn("process collection degraded", "state", "no pid (pid file missing or invalid)", "err", err)
		}
		w.noPID = true
		w.retire()
		return
	}
	w.noPID = false
	if c := w.cur; c != nil && c.id.PID == pid && !w.ident.Changed(c.h) {
		return // the same process (a pidfd poll, or one read of its start time)
	}
	h, err := w.ident.Open(pid)
	if err != nil {
		h.Identity = process.Identity{PID: pid} // unreadable: the collector reports it
	}
	id := h.Identity
	if c := w.cur; c != nil && c.id.PID == id.PID && (id.StartTicks == 0 || id.StartTicks == c.id.StartTicks) {
		_ = h.Close()
		return // the same process, or its pid without a process
	}
	p, err := w.newProvider(h)
	if err != nil {
		_ = h.Close()
		w.log.Warn("watch process", "pid", pid, "err", err)
		return
	}
	w.retire()
	w.cur = p
	w.prom.set(p.prom)
	w.log.Info("watching process", "pid", id.PID, "executable", id.ExecutableName)
}

func (w *Watcher) resolvePID() (int, error) {
	switch {
	case w.opts.PIDFile != "":
		return w.ident.ReadPIDFile(w.opts.PIDFile)
	case w.opts.PID != 0:
		return w.opts.PID, nil
	default:
		return os.Getpid(), nil
	}
}

// retire shuts the current provider down in the background (a final
// OTLP export may take a while); Shutdown waits for it. Its collector is
// stopped first: the final export names no process.
func (w *Watcher) retire() {
	p := w.cur
	if p == nil {
		return
	}
	w.cur = nil
	w.prom.set(nil)
	_ = p.coll.Stop() // the provider's shutdown follows
	_ = p.h.Close()
	w.retired.Add(1)
	go func() {
		defer w.retired.Done()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := p.mp.Shutdown(ctx); err != nil {
			w.log.Debug("shut down the provider of a replaced process", "pid", p.id.PID, "err", err)
		}
	}()
}

func (w *Watcher) newProvider(h *process.Handle) (*provider, error) {
	id := h.Identity
	attrs := append(append([]attribute.KeyValue{}, w.base...), keyPID.Int(id.PID))
	if id.ExecutableName != "" {
		attrs = append(attrs, keyExec.String(id.ExecutableName))
	}
	p := &provider{id: id, h: h, res: resource.NewSchemaless(attrs...), manual: sdkmetric.NewManualReader(),
		pid: keyPID.Int(id.PID), sets: map[attribute.Distinct]attribute.Set{}}
	opts := []sdkmetric.Option{sdkmetric.WithResource(p.res), sdkmetric.WithReader(p.manual)}
	var readers []sdkmetric.Reader
	if w.opts.Registerer != nil {
		capture := &captureRegisterer{}
		pe, err := otelprom.New(otelprom.WithRegisterer(capture), otelprom.WithoutTargetInfo(),
			otelprom.WithResourceAsConstantLabels(attribute.NewAllowKeysFilter(keyPID, keyExec)))
		if err != nil {
			return nil, fmt.Errorf("prometheus exporter: %w", err)
		}
		p.prom = capture.c
		readers = append(readers, pe)
	}
	if w.opts.Exporter != nil {
		readers = append(readers, sdkmetric.NewPeriodicReader(keepOpen{w.opts.Exporter}, w.opts.ReaderOptions...))
	}
	if w.opts.Console != nil {
		r, err := otlpexport.NewConsoleMetricReader(w.opts.Console, w.opts.ReaderOptions)
		if err != nil {
			return nil, errors.Join(err, shutdownReaders(readers))
		}
		readers = append(readers, r)
	}
	for _, r := range readers {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	p.mp = sdkmetric.NewMeterProvider(opts...)
	var err error
	p.coll, err = process.Start(p.mp, process.Options{PID: id.PID, StartTicks: id.StartTicks,
		Health: w.opts.Health, ProcRoot: w.opts.ProcRoot, Logger: w.log})
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return nil, errors.Join(err, p.mp.Shutdown(ctx))
	}
	return p, nil
}

func shutdownReaders(rs []sdkmetric.Reader) error {
	var errs []error
	for _, r := range rs {
		errs = append(errs, r.Shutdown(context.Background()))
	}
	return errors.Join(errs...)
}

// Collect refreshes the watched process, then collects src (the agent's
// own reader) into rm and appends the watched process's metrics, each of
// their points carrying the resource's process.pid: the Discord reports'
// snapshot has one resource (the agent's), and its builders find the
// watched process by that attribute, as they did before the process had a
// resource of its own. Copying it here is the least invasive merge. The
// process is collected first, so the nexusmon.collector.success it records
// in the agent's provider is in the same collection.
func (w *Watcher) Collect(ctx context.Context, src sdkmetric.Reader, rm *metricdata.ResourceMetrics) error {
	w.Refresh(ctx)
	w.mu.Lock()
	p := w.cur
	w.mu.Unlock()
	var proc metricdata.ResourceMetrics
	if p != nil {
		// A provider replaced meanwhile is shut down: nothing to add.
		if err := p.manual.Collect(ctx, &proc); err != nil && !errors.Is(err, sdkmetric.ErrReaderShutdown) {
			w.log.Debug("collect the watched process", "err", err)
		}
	}
	if err := src.Collect(ctx, rm); err != nil {
		return err
	}
	if p != nil {
		for _, sm := range proc.ScopeMetrics {
			for i := range sm.Metrics {
				p.addPID(&sm.Metrics[i])
			}
			rm.ScopeMetrics = append(rm.ScopeMetrics, sm)
		}
	}
	return nil
}

// addPID adds process.pid to the attributes of m's points.
func (p *provider) addPID(m *metricdata.Metrics) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch d := m.Data.(type) {
	case metricdata.Gauge[int64]:
		withPIDs(p, d.DataPoints)
	case metricdata.Gauge[float64]:
		withPIDs(p, d.DataPoints)
	case metricdata.Sum[int64]:
		withPIDs(p, d.DataPoints)
	case metricdata.Sum[float64]:
		withPIDs(p, d.DataPoints)
	}
}

// withPIDs adds process.pid to the attributes of pts (p.mu held).
func withPIDs[N int64 | float64](p *provider, pts []metricdata.DataPoint[N]) {
	for i := range pts {
		pts[i].Attributes = p.withPID(pts[i].Attributes)
	}
}

// withPID returns set with process.pid, cached: the process instruments
// have a handful of sets.
func (p *provider) withPID(set attribute.Set) attribute.Set {
	k := set.Equivalent()
	if s, ok := p.sets[k]; ok {
		return s
	}
	s := attribute.NewSet(append(set.ToSlice(), p.pid)...)
	p.sets[k] = s
	return s
}

// Shutdown shuts the current provider and the OTLP exporter down and
// waits for the shutdowns of replaced providers. Later refreshes do
// nothing; the Prometheus collector serves nothing more.
func (w *Watcher) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	if w.shut {
		w.mu.Unlock()
		return nil
	}
	w.shut = true
	cur := w.cur // shut down here, within ctx, not in the background
	w.cur = nil
	w.prom.set(nil)
	w.mu.Unlock()
	var errs []error
	if cur != nil {
		_ = cur.coll.Stop()
		_ = cur.h.Close()
		if err := cur.mp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down the watched process's provider: %w", err))
		}
	}
	done := make(chan struct{})
	go func() {
		w.retired.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("shut down the watched process's provider: %w", ctx.Err()))
	}
	if w.opts.Exporter != nil {
		if err := w.opts.Exporter.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down the process metrics exporter: %w", err))
		}
	}
	return errors.Join(errs...)
}

// keepOpen is the shared OTLP exporter as one provider's reader sees it:
// the reader's shutdown leaves it open for the next provider.
type keepOpen struct{ sdkmetric.Exporter }

func (keepOpen) Shutdown(context.Context) error { return nil }
