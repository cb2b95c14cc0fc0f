package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/collect"
	"github.com/nexusmon/nexusmon/internal/names"
)

// Options configures Start.
type Options struct {
	// Logger receives one record each time a source starts or stops
	// failing. Nil discards.
	Logger *slog.Logger
}

// Collector owns nexusmon's host instruments registered on one
// MeterProvider. Its methods are safe for concurrent use.
type Collector struct {
	reg *collect.Registration

	mu      sync.Mutex // serialises collections
	stopped bool       // Stop ran: the reader's files are closed
	r       reader
	now     func() time.Time
	log     *slog.Logger
	sources []source
	failing map[string]bool // sources whose last collection failed

	gauges collect.Gauges
	attrs  map[string]metric.MeasurementOption // nexusmon.collector=<source>
}

// source is one independently failing part of a collection: it reads what
// it needs and observes its instruments. On error it may have observed part
// of its data; the Collector reports it as failed either way.
type source interface {
	name() string
	instruments() []metric.Observable
	collect(c *collection, o metric.Observer) error
}

// collection carries what one callback run shares between sources: the
// context, the time it started and the /proc/meminfo read that memory and
// swap both use.
type collection struct {
	ctx context.Context
	now time.Time
	r   reader

	memRead bool
	mem     memInfo
	memErr  error
}

// Start registers nexusmon's host instruments (scope names.ScopeHost) on
// mp. It does not start the contrib host instrumentation
// (go.opentelemetry.io/contrib/instrumentation/host): that emits
// system.cpu.time, system.memory.usage and system.network.io as totals with
// other meanings (cpu.mode "other", free = MemAvailable) and
// process.cpu.time of nexusmon itself, under the names nexusmon uses per
// core, per state and per interface and for the watched process. One name
// has one source (docs/decisions.md).
func Start(mp metric.MeterProvider, opts Options) (*Collector, error) {
	if mp == nil {
		return nil, errors.New("host: nil MeterProvider")
	}
	return start(mp, opts.Logger, newPSReader("", ""), time.Now)
}

// start registers nexusmon's own instruments only, reading through r.
func start(mp metric.MeterProvider, log *slog.Logger, r reader, now func() time.Time) (*Collector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := mp.Meter(names.ScopeHost)
	c := &Collector{r: r, now: now, log: log, failing: map[string]bool{}, attrs: map[string]metric.MeasurementOption{}}

	var err error
	if c.gauges, err = collect.NewGauges(mp); err != nil {
		return nil, err
	}
	builders := []func(metric.Meter) (source, error){
		newCPUSource, newLoadSource, newMemorySource, newSwapSource,
		newFilesystemSource, newDiskIOSource, newNetworkSource, newFrequencySource,
	}
	var insts []metric.Observable
	for _, b := range builders {
		s, err := b(m)
		if err != nil {
			return nil, err
		}
		c.sources = append(c.sources, s)
		insts = append(insts, s.instruments()...)
		c.attrs[s.name()] = metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrCollector, s.name())))
	}
	// One callback for every instrument: one lock, one pass, and the
	// meminfo read shared by the memory and swap sources.
	if c.reg, err = collect.Register(m, "host", c.observe, insts...); err != nil {
		return nil, err
	}
	return c, nil
}

// Stop unregisters nexusmon's host callback, so later collections observe
// none of its instruments, and closes the /proc files kept open between
// collections. Stop is idempotent.
func (c *Collector) Stop() error {
	err := c.reg.Stop() // not under c.mu: see collect.Registration
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.r.close()
	return err
}

func (c *Collector) observe(ctx context.Context, o metric.Observer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil // never after Unregister; were it called, no file is opened again
	}
	col := &collection{ctx: ctx, now: c.now(), r: c.r}
	for _, s := range c.sources {
		start := c.now()
		err := collectSafely(s, col, o)
		elapsed := c.now().Sub(start)
		c.record(s.name(), err)
		c.gauges.Record(ctx, err == nil, elapsed, c.attrs[s.name()])
	}
	// Failures are reported through the success gauges and the log, not
	// through the SDK's global error handler, which would print on every
	// collection of every reader.
	return nil
}

// collectSafely turns a panic inside a source (a parser meeting an
// unexpected kernel format) into that source's error: in library mode the
// agent runs inside the user's bot and must not take it down.
func collectSafely(s source, col *collection, o metric.Observer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("collect %s: panic: %v", s.name(), p)
		}
	}()
	return s.collect(col, o)
}

// record logs a source's change of state, not every failure.
func (c *Collector) record(name string, err error) {
	was := c.failing[name]
	switch {
	case err != nil && !was:
		c.failing[name] = true
		c.log.Warn("host source failing", slog.String(names.AttrCollector, name), slog.Any("error", err))
	case err == nil && was:
		delete(c.failing, name)
		c.log.Info("host source recovered", slog.String(names.AttrCollector, name))
	}
}
