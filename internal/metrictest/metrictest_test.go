package metrictest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

func TestHelpers(t *testing.T) {
	t.Parallel()
	mp, r := NewProvider(t)
	m := mp.Meter("scope")
	g, err := m.Int64Gauge("g")
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Float64Counter("c")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g.Record(ctx, 7, metric.WithAttributes(attribute.String("k", "a")))
	g.Record(ctx, 9, metric.WithAttributes(attribute.String("k", "b")))
	c.Add(ctx, 1.5)

	rm := Collect(t, r)
	gm := Find(t, rm, "scope", "g")
	if n := Points(gm); n != 2 {
		t.Errorf("Points = %d, want 2", n)
	}
	if v, ok := Value(gm, attribute.String("k", "b")); !ok || v != 9 {
		t.Errorf("Value(k=b) = %v, %v; want 9", v, ok)
	}
	if _, ok := Value(gm, attribute.String("k", "z")); ok {
		t.Error("Value(k=z) found a point")
	}
	if v, ok := Value(Find(t, rm, "scope", "c")); !ok || v != 1.5 {
		t.Errorf("Value(c) = %v, %v; want 1.5", v, ok)
	}
	if !Has(rm, "scope", "g") || Has(rm, "scope", "missing") || Has(rm, "other", "g") {
		t.Error("Has disagrees with what was recorded")
	}
}

func TestStepClock(t *testing.T) {
	t.Parallel()
	start := time.Unix(100, 0)
	c := NewStepClock(start, time.Second)
	if a, b := c.Now(), c.Now(); !a.Equal(start.Add(time.Second)) || b.Sub(a) != time.Second {
		t.Errorf("readings %v, %v", a, b)
	}
}

func TestLogRecorder(t *testing.T) {
	t.Parallel()
	l := &LogRecorder{}
	log := slog.New(l).With("k", "v").WithGroup("g")
	log.Warn("one")
	log.Warn("two")
	log.Info("three")
	if w, i, e := l.Count(slog.LevelWarn), l.Count(slog.LevelInfo), l.Count(slog.LevelError); w != 2 || i != 1 || e != 0 {
		t.Errorf("counts warn %d info %d error %d, want 2 1 0", w, i, e)
	}
}

// unregisterer stops by unregistering its callback, as nexusmon's
// collectors do; a second Stop is a no-op.
type unregisterer struct {
	reg   metric.Registration
	stops int
}

func (u *unregisterer) Stop() error {
	u.stops++
	if u.stops > 1 {
		return nil
	}
	return u.reg.Unregister()
}

func TestCheckStop(t *testing.T) {
	t.Parallel()
	mp, r := NewProvider(t)
	m := mp.Meter("scope")
	g, err := m.Int64ObservableGauge("g")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(g, 1)
		return nil
	}, g)
	if err != nil {
		t.Fatal(err)
	}
	u := &unregisterer{reg: reg}
	rm := CheckStop(t, r, "scope", "g", u)
	if u.stops != 2 || Has(rm, "scope", "g") {
		t.Errorf("stops = %d, g collected after Stop: %v", u.stops, Has(rm, "scope", "g"))
	}
}

func TestStopOnCleanup(t *testing.T) {
	t.Parallel()
	u := &unregisterer{reg: noopRegistration{}}
	t.Run("inner", func(t *testing.T) { StopOnCleanup(t, u) })
	if u.stops != 1 {
		t.Errorf("stops = %d after the subtest, want 1", u.stops)
	}
}

type noopRegistration struct{ metric.Registration }

func (noopRegistration) Unregister() error { return nil }

func TestProcField(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(path, []byte("Name:\tbot\nThreads:\t12\nVmRSS:\t  2048 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ProcField(t, path, "VmRSS"); got != 2048 {
		t.Errorf("VmRSS = %v, want 2048", got)
	}
	if got := ProcField(t, path, "Threads"); got != 12 {
		t.Errorf("Threads = %v, want 12", got)
	}
}
