// Package collect holds what every nexusmon collector (host, process,
// runtime) shares: the per-source success and duration gauges, and a
// callback registration that stops once without deadlocking a collection in
// progress. It imports only the OTel metric API.
package collect

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// Gauges are the collectors' self-telemetry: nexusmon.collector.success and
// nexusmon.collector.duration, one point per source (attribute
// nexusmon.collector). They are synchronous gauges of their own scope
// (names.ScopeCollect), so that the host, process and runtime collectors
// share one family of each instead of emitting the same name from three
// scopes. A collector records them from its callback; the SDK runs
// callbacks before it aggregates, so the values belong to that collection.
// After the collector stops, the last values stay.
type Gauges struct {
	Success  metric.Int64Gauge
	Duration metric.Float64Gauge
}

// NewGauges creates the two gauges on mp's names.ScopeCollect meter. Every
// collector may call it: the SDK returns the same instruments.
func NewGauges(mp metric.MeterProvider) (Gauges, error) {
	m := mp.Meter(names.ScopeCollect)
	var g Gauges
	var err error
	if g.Success, err = m.Int64Gauge(names.CollectorSuccess, metric.WithUnit("1"),
		metric.WithDescription("Whether the last collection of the source succeeded (1) or failed (0).")); err != nil {
		return g, fmt.Errorf("create %s: %w", names.CollectorSuccess, err)
	}
	if g.Duration, err = m.Float64Gauge(names.CollectorDurationSeconds, metric.WithUnit("s"),
		metric.WithDescription("Duration of the last collection of the source.")); err != nil {
		return g, fmt.Errorf("create %s: %w", names.CollectorDurationSeconds, err)
	}
	return g, nil
}

// Record records one source's outcome: success 1 or 0, and how long it took.
func (g Gauges) Record(ctx context.Context, ok bool, took time.Duration, source metric.MeasurementOption) {
	var v int64
	if ok {
		v = 1
	}
	g.Success.Record(ctx, v, source)
	g.Duration.Record(ctx, took.Seconds(), source)
}

// Registration is a collector's callback registration. Stop unregisters it
// once and takes no lock of the collector's: a collection in progress holds
// the SDK's pipeline lock while its callback waits for the collector's lock,
// and Unregister waits for that pipeline lock, so unregistering under the
// collector's lock deadlocks.
type Registration struct {
	what string
	reg  metric.Registration
	once sync.Once
	err  error
}

// Register registers f for insts on m; what names the collector in errors.
func Register(m metric.Meter, what string, f metric.Callback, insts ...metric.Observable) (*Registration, error) {
	reg, err := m.RegisterCallback(f, insts...)
	if err != nil {
		return nil, fmt.Errorf("register %s callback: %w", what, err)
	}
	return &Registration{what: what, reg: reg}, nil
}

// Stop unregisters the callback; later calls return the first result.
func (r *Registration) Stop() error {
	r.once.Do(func() {
		if err := r.reg.Unregister(); err != nil {
			r.err = fmt.Errorf("unregister %s callback: %w", r.what, err)
		}
	})
	return r.err
}
