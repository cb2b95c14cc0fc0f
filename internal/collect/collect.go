// Package collect holds what every nexusmon collector (host, process,
// runtime) shares: the per-source success and duration gauges, and a
// callback registration that stops once without deadlocking a collection in
// progress. It imports only the OTel metric API.
package collect

import (
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// Gauges are a collector's self-telemetry: nexusmon.collector.success and
// nexusmon.collector.duration, one point per source (attribute
// nexusmon.collector).
type Gauges struct {
	Success  metric.Int64ObservableGauge
	Duration metric.Float64ObservableGauge
}

// NewGauges creates the two gauges on m.
func NewGauges(m metric.Meter) (Gauges, error) {
	var g Gauges
	var err error
	if g.Success, err = m.Int64ObservableGauge(names.CollectorSuccess, metric.WithUnit("1"),
		metric.WithDescription("Whether the last collection of the source succeeded (1) or failed (0).")); err != nil {
		return g, fmt.Errorf("create %s: %w", names.CollectorSuccess, err)
	}
	if g.Duration, err = m.Float64ObservableGauge(names.CollectorDurationSeconds, metric.WithUnit("s"),
		metric.WithDescription("Duration of the last collection of the source.")); err != nil {
		return g, fmt.Errorf("create %s: %w", names.CollectorDurationSeconds, err)
	}
	return g, nil
}

// Instruments returns the gauges for RegisterCallback.
func (g Gauges) Instruments() []metric.Observable { return []metric.Observable{g.Success, g.Duration} }

// Observe records one source's outcome: success 1 or 0, and how long it took.
func (g Gauges) Observe(o metric.Observer, ok bool, took time.Duration, source metric.ObserveOption) {
	var v int64
	if ok {
		v = 1
	}
	o.ObserveInt64(g.Success, v, source)
	o.ObserveFloat64(g.Duration, took.Seconds(), source)
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
