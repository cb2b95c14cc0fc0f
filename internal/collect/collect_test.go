package collect

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
)

func TestGaugesAndRegistration(t *testing.T) {
	mp, r := metrictest.NewProvider(t)
	m := mp.Meter("test")
	g, err := NewGauges(mp)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := NewGauges(mp) // a second collector's
	if err != nil {
		t.Fatal(err)
	}
	up, err := m.Int64ObservableGauge("up")
	if err != nil {
		t.Fatal(err)
	}
	src := attribute.String(names.AttrCollector, "src")
	reg, err := Register(m, "test", func(ctx context.Context, o metric.Observer) error {
		o.ObserveInt64(up, 1)
		g.Record(ctx, false, 1500*time.Millisecond, metric.WithAttributes(src))
		g2.Record(ctx, true, time.Second, metric.WithAttributes(attribute.String(names.AttrCollector, "other")))
		return nil
	}, up)
	if err != nil {
		t.Fatal(err)
	}
	// The values recorded by the callback are in the same collection, in
	// the one scope of both collectors.
	rm := metrictest.Collect(t, r)
	if v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess), src); !ok || v != 0 {
		t.Errorf("success = %v (%v), want 0 for a failed source", v, ok)
	}
	if v, ok := metrictest.Value(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorDurationSeconds), src); !ok || v != 1.5 {
		t.Errorf("duration = %v (%v), want 1.5", v, ok)
	}
	if got := metrictest.Points(metrictest.Find(t, rm, names.ScopeCollect, names.CollectorSuccess)); got != 2 {
		t.Errorf("success has %d points, want one per collector", got)
	}
	metrictest.CheckStop(t, r, "test", "up", reg)
}

// TestRegistration_StopDuringCollection is the collectors' deadlock: a
// collection in progress (holding the SDK's pipeline lock) runs a callback
// that waits for the collector's lock while Stop is called. Stop takes no
// collector lock, so the callback gets its lock and both finish.
func TestRegistration_StopDuringCollection(t *testing.T) {
	mp, r := metrictest.NewProvider(t)
	m := mp.Meter("test")
	g, err := NewGauges(mp)
	if err != nil {
		t.Fatal(err)
	}
	up, err := m.Int64ObservableGauge("up")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // the collector's lock
	entered := make(chan struct{})
	var once sync.Once
	reg, err := Register(m, "test", func(ctx context.Context, o metric.Observer) error {
		once.Do(func() { close(entered) })
		mu.Lock()
		defer mu.Unlock()
		o.ObserveInt64(up, 1)
		g.Record(ctx, true, 0, metric.WithAttributes())
		return nil
	}, up)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock() // a collection starts while the collector is busy
	collected := make(chan error, 1)
	go func() {
		var rm metricdata.ResourceMetrics
		collected <- r.Collect(context.Background(), &rm)
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- reg.Stop() }()
	mu.Unlock() // the collector lets its callback run
	if err := <-collected; err != nil {
		t.Fatal(err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}
