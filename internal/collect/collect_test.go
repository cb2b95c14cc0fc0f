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
	g, err := NewGauges(m)
	if err != nil {
		t.Fatal(err)
	}
	src := attribute.String(names.AttrCollector, "src")
	reg, err := Register(m, "test", func(_ context.Context, o metric.Observer) error {
		g.Observe(o, false, 1500*time.Millisecond, metric.WithAttributes(src))
		return nil
	}, g.Instruments()...)
	if err != nil {
		t.Fatal(err)
	}
	rm := metrictest.Collect(t, r)
	if v, ok := metrictest.Value(metrictest.Find(t, rm, "test", names.CollectorSuccess), src); !ok || v != 0 {
		t.Errorf("success = %v (%v), want 0 for a failed source", v, ok)
	}
	if v, ok := metrictest.Value(metrictest.Find(t, rm, "test", names.CollectorDurationSeconds), src); !ok || v != 1.5 {
		t.Errorf("duration = %v (%v), want 1.5", v, ok)
	}
	metrictest.CheckStop(t, r, "test", names.CollectorSuccess, reg)
}

// TestRegistration_StopDuringCollection is the collectors' deadlock: a
// collection in progress (holding the SDK's pipeline lock) runs a callback
// that waits for the collector's lock while Stop is called. Stop takes no
// collector lock, so the callback gets its lock and both finish.
func TestRegistration_StopDuringCollection(t *testing.T) {
	mp, r := metrictest.NewProvider(t)
	m := mp.Meter("test")
	g, err := NewGauges(m)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // the collector's lock
	entered := make(chan struct{})
	var once sync.Once
	reg, err := Register(m, "test", func(_ context.Context, o metric.Observer) error {
		once.Do(func() { close(entered) })
		mu.Lock()
		defer mu.Unlock()
		g.Observe(o, true, 0, metric.WithAttributes())
		return nil
	}, g.Instruments()...)
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
