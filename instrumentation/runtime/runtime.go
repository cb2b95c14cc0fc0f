package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	otelruntime "go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/collect"
	"github.com/nexusmon/nexusmon/internal/names"
)

// runtime/metrics keys read for the additions. Each is documented in
// runtime/metrics (Go 1.26); a key the running toolchain lacks reads as
// KindBad and fails the collection's success gauge instead of panicking.
const (
	keyHeapObjectsBytes = "/memory/classes/heap/objects:bytes" // = MemStats.HeapAlloc
	keyHeapObjects      = "/gc/heap/objects:objects"           // = MemStats.HeapObjects
	keyTotal            = "/memory/classes/total:bytes"        // = MemStats.Sys
	keyFreed            = "/gc/heap/frees:bytes"               // = TotalAlloc - HeapAlloc
)

// Options configures Start.
type Options struct {
	// MinimumReadMemStatsInterval is contrib runtime's minimum interval
	// between two reads of runtime/metrics; 0 means contrib's default, 15s.
	// nexusmon's additions are read on every collection.
	MinimumReadMemStatsInterval time.Duration
	// Logger receives one record per change of the collection's success.
	// Nil discards.
	Logger *slog.Logger
}

// Collector owns nexusmon's runtime instruments registered on one
// MeterProvider. Its methods are safe for concurrent use.
type Collector struct {
	reg *collect.Registration

	mu      sync.Mutex // serialises collections
	now     func() time.Time
	log     *slog.Logger
	failing bool
	read    func([]metrics.Sample) // runtime/metrics.Read, replaceable in tests
	samples []metrics.Sample
	gc      debug.GCStats // reused: ReadGCStats keeps its buffers

	inst      instruments
	collector metric.MeasurementOption
}

type instruments struct {
	collect.Gauges
	freed      metric.Int64ObservableCounter
	cycles     metric.Int64ObservableCounter
	pauseTotal metric.Float64ObservableCounter
	pauseLast  metric.Float64ObservableGauge
	heapAlloc  metric.Int64ObservableGauge
	heapObjs   metric.Int64ObservableGauge
	sys        metric.Int64ObservableGauge
}

// Start registers contrib runtime instrumentation
// (runtime.Start(WithMeterProvider(mp), WithMinimumReadMemStatsInterval(d)))
// and nexusmon's additions on mp. Call it once per MeterProvider: the
// contrib part cannot be unregistered, so Stop removes only nexusmon's
// callback and a second Start would duplicate contrib's observations.
func Start(mp metric.MeterProvider, opts Options) (*Collector, error) {
	if mp == nil {
		return nil, errors.New("runtime: nil MeterProvider")
	}
	if opts.MinimumReadMemStatsInterval < 0 {
		return nil, fmt.Errorf("runtime: negative MinimumReadMemStatsInterval %s", opts.MinimumReadMemStatsInterval)
	}
	d := opts.MinimumReadMemStatsInterval
	if d == 0 {
		d = otelruntime.DefaultMinimumReadMemStatsInterval
	}
	if err := otelruntime.Start(otelruntime.WithMeterProvider(mp), otelruntime.WithMinimumReadMemStatsInterval(d)); err != nil {
		return nil, fmt.Errorf("start contrib runtime instrumentation: %w", err)
	}
	return start(mp, opts.Logger, time.Now, metrics.Read)
}

// start registers nexusmon's additions only.
func start(mp metric.MeterProvider, log *slog.Logger, now func() time.Time, read func([]metrics.Sample)) (*Collector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{now: now, log: log, read: read,
		samples:   []metrics.Sample{{Name: keyHeapObjectsBytes}, {Name: keyHeapObjects}, {Name: keyTotal}, {Name: keyFreed}},
		collector: metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrCollector, "runtime"))),
	}
	m := mp.Meter(names.ScopeRuntime)
	insts, err := c.inst.create(mp, m)
	if err != nil {
		return nil, err
	}
	if c.reg, err = collect.Register(m, "runtime", c.observe, insts...); err != nil {
		return nil, err
	}
	return c, nil
}

func (in *instruments) create(mp metric.MeterProvider, m metric.Meter) ([]metric.Observable, error) {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	in.Gauges, err = collect.NewGauges(mp)
	add(err)
	in.freed, err = m.Int64ObservableCounter(names.GoMemoryFreed, metric.WithUnit("By"),
		metric.WithDescription("Heap bytes freed by the garbage collector."))
	add(err)
	in.cycles, err = m.Int64ObservableCounter(names.GoGCCycles, metric.WithUnit("{gc_cycle}"),
		metric.WithDescription("Completed garbage collection cycles."))
	add(err)
	in.pauseTotal, err = m.Float64ObservableCounter(names.GoGCPauseTotal, metric.WithUnit("s"),
		metric.WithDescription("Total stop-the-world time of garbage collections."))
	add(err)
	in.pauseLast, err = m.Float64ObservableGauge(names.GoGCPauseLast, metric.WithUnit("s"),
		metric.WithDescription("Stop-the-world time of the most recent garbage collection."))
	add(err)
	in.heapAlloc, err = m.Int64ObservableGauge(names.GoHeapAlloc, metric.WithUnit("By"),
		metric.WithDescription("Bytes of allocated heap objects, live and not yet swept (MemStats.HeapAlloc)."))
	add(err)
	in.heapObjs, err = m.Int64ObservableGauge(names.GoHeapObjects, metric.WithUnit("{object}"),
		metric.WithDescription("Allocated heap objects, live and not yet swept (MemStats.HeapObjects)."))
	add(err)
	in.sys, err = m.Int64ObservableGauge(names.GoMemorySys, metric.WithUnit("By"),
		metric.WithDescription("Memory obtained from the OS by the Go runtime (MemStats.Sys)."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("create runtime instruments: %w", err)
	}
	return append([]metric.Observable{}, in.freed, in.cycles, in.pauseTotal, in.pauseLast,
		in.heapAlloc, in.heapObjs, in.sys), nil
}

// Stop unregisters nexusmon's runtime callback. The contrib runtime
// instrumentation registered by Start cannot be unregistered and keeps
// reporting until the MeterProvider shuts down. Stop is idempotent.
func (c *Collector) Stop() error { return c.reg.Stop() }

func (c *Collector) observe(ctx context.Context, o metric.Observer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := c.now()
	c.read(c.samples)
	debug.ReadGCStats(&c.gc)

	var bad []string
	get := func(i int) (int64, bool) {
		s := c.samples[i]
		if s.Value.Kind() != metrics.KindUint64 {
			bad = append(bad, s.Name)
			return 0, false
		}
		v := s.Value.Uint64()
		if v > math.MaxInt64 {
			v = math.MaxInt64
		}
		return int64(v), true
	}
	if v, ok := get(0); ok {
		o.ObserveInt64(c.inst.heapAlloc, v)
	}
	if v, ok := get(1); ok {
		o.ObserveInt64(c.inst.heapObjs, v)
	}
	if v, ok := get(2); ok {
		o.ObserveInt64(c.inst.sys, v)
	}
	if v, ok := get(3); ok {
		o.ObserveInt64(c.inst.freed, v)
	}
	o.ObserveInt64(c.inst.cycles, c.gc.NumGC)
	o.ObserveFloat64(c.inst.pauseTotal, c.gc.PauseTotal.Seconds())
	last := time.Duration(0) // before the first GC there is no pause
	if len(c.gc.Pause) > 0 {
		last = c.gc.Pause[0] // most recent first
	}
	o.ObserveFloat64(c.inst.pauseLast, last.Seconds())

	c.inst.Record(ctx, len(bad) == 0, c.now().Sub(start), c.collector)
	switch {
	case len(bad) > 0 && !c.failing:
		c.failing = true
		c.log.Warn("runtime metrics unsupported by this Go toolchain", slog.Any("keys", bad))
	case len(bad) == 0 && c.failing:
		c.failing = false
		c.log.Info("runtime metrics recovered")
	}
	return nil
}
