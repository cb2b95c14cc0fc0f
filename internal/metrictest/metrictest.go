// Package metrictest holds the helpers nexusmon's instrumentation tests
// share: a MeterProvider with a ManualReader, lookups of collected metrics
// and points, a step clock and a recording slog.Handler.
//
// It is for tests only: no production package may import it. Its functions
// take a testing.TB and fail it on error; none keeps global state, so tests
// using it can run in parallel.
package metrictest

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// NewProvider returns a MeterProvider with a ManualReader, shut down at
// the end of the test.
func NewProvider(t testing.TB) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return mp, r
}

// StopOnCleanup stops s at the end of the test, failing t if Stop errs.
func StopOnCleanup(t testing.TB, s interface{ Stop() error }) {
	t.Helper()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
}

// CheckStop checks that s's instruments of scope go silent on Stop: a
// collection of r before Stop must hold the metric name of scope; then s is
// stopped twice, since Stop must be idempotent, and the next collection
// must hold no metric of scope. It returns that collection.
func CheckStop(t testing.TB, r *sdkmetric.ManualReader, scope, name string, s interface{ Stop() error }) metricdata.ResourceMetrics {
	t.Helper()
	if !Has(Collect(t, r), scope, name) {
		t.Fatal("nothing collected before Stop")
	}
	for range 2 {
		if err := s.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	}
	rm := Collect(t, r)
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == scope && len(sm.Metrics) > 0 {
			t.Errorf("%d metrics of scope %s after Stop", len(sm.Metrics), scope)
		}
	}
	return rm
}

// Collect runs one collection of r, or fails t.
func Collect(t testing.TB, r *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

// Find returns the metric name of scope, or fails t.
func Find(t testing.TB, rm metricdata.ResourceMetrics, scope, name string) metricdata.Metrics {
	t.Helper()
	if m, ok := lookup(rm, scope, name); ok {
		return m
	}
	t.Fatalf("metric %s of scope %s not collected", name, scope)
	return metricdata.Metrics{}
}

// Has reports whether rm holds the metric name of scope.
func Has(rm metricdata.ResourceMetrics, scope, name string) bool {
	_, ok := lookup(rm, scope, name)
	return ok
}

func lookup(rm metricdata.ResourceMetrics, scope, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scope {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// Value returns the value of the first point of m whose attributes include
// all of want; ok is false when there is none or m is not an int64 or
// float64 sum or gauge.
func Value(m metricdata.Metrics, want ...attribute.KeyValue) (float64, bool) {
	match := func(s attribute.Set) bool {
		for _, kv := range want {
			v, ok := s.Value(kv.Key)
			if !ok || v != kv.Value {
				return false
			}
		}
		return true
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				return float64(p.Value), true
			}
		}
	case metricdata.Sum[float64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				return p.Value, true
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				return float64(p.Value), true
			}
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				return p.Value, true
			}
		}
	}
	return 0, false
}

// Points returns the number of points of m, 0 when m is not an int64 or
// float64 sum or gauge.
func Points(m metricdata.Metrics) int {
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		return len(d.DataPoints)
	case metricdata.Sum[float64]:
		return len(d.DataPoints)
	case metricdata.Gauge[int64]:
		return len(d.DataPoints)
	case metricdata.Gauge[float64]:
		return len(d.DataPoints)
	}
	return 0
}

// StepClock is a clock that advances by a fixed step on every reading, so
// durations measured with it are exact. It is safe for concurrent use.
type StepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// NewStepClock returns a StepClock whose first reading is start+step.
func NewStepClock(start time.Time, step time.Duration) *StepClock {
	return &StepClock{t: start, step: step}
}

// Now advances the clock by its step and returns the new time.
func (c *StepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// LogRecorder is a slog.Handler that keeps every record, at every level.
// Its zero value is ready to use and it is safe for concurrent use.
type LogRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

// Enabled implements slog.Handler: every level is enabled.
func (l *LogRecorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler by keeping r.
func (l *LogRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r)
	return nil
}

// WithAttrs implements slog.Handler; the attributes are dropped.
func (l *LogRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup implements slog.Handler; the group is dropped.
func (l *LogRecorder) WithGroup(string) slog.Handler { return l }

// Count returns the number of records kept at level.
func (l *LogRecorder) Count(level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level {
			n++
		}
	}
	return n
}

// ProcField reads the number of one "Key: value [kB]" line of a /proc file
// such as /proc/meminfo or /proc/PID/status, independently of the code
// under test; a kB value is returned in kB. It fails t when the file or the
// key is missing.
func ProcField(t testing.TB, path, key string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // read-only; a close error loses nothing
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == key {
			n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%s not in %s", key, path)
	return 0
}

// AttrValues concatenates, space-separated, every attribute value of every
// point of every metric in rm (gauges, sums and histograms of both number
// types): for asserting that something, such as a secret or a user id, is
// on no metric.
func AttrValues(rm metricdata.ResourceMetrics) string {
	var b strings.Builder
	add := func(s attribute.Set) {
		for _, kv := range s.ToSlice() {
			b.WriteString(kv.Value.String())
			b.WriteByte(' ')
		}
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes)
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes)
				}
			}
		}
	}
	return b.String()
}
