package agent

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// TestAgent_reloadChangesReportIntervals: a reload that shortens a report's
// interval from an hour to a second makes that report arrive without a
// restart (an SDK PeriodicReader could not).
func TestAgent_reloadChangesReportIntervals(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Reports.Network.Interval = time.Hour
	a, _ := startAgent(t, cfg)
	network := func() int { return len(eventsOf(readEvents(t, cfg.Output.JSONL), reportdata.EventNetwork)) }
	// The system report comes at once; no network report for an hour.
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, reportdata.EventSystem)) >= 1
	})
	if n := network(); n != 0 {
		t.Fatalf("%d network reports before the reload, want 0", n)
	}
	next := *a.Config()
	next.Reports.Network.Interval = time.Second
	restart, err := a.Reload(context.Background(), &next)
	if err != nil || len(restart) != 0 {
		t.Fatalf("Reload: restart %q, err %v", restart, err)
	}
	waitEvents(t, cfg.Output.JSONL, 30*time.Second, func(e []map[string]any) bool {
		return len(eventsOf(e, reportdata.EventNetwork)) >= 2
	})
}

// TestReportReader_setIntervalWakesTheLoop checks the schedule alone: a
// shorter interval takes effect at once, and the loop ends with ctx.
func TestReportReader_setIntervalWakesTheLoop(t *testing.T) {
	t.Parallel()
	exp := &countingExporter{}
	src := sdkmetric.NewManualReader()
	r := newReportReader(src.Collect, exp, time.Hour)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(src))
	t.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(ctx, false, newTestLogger(&syncBuffer{}))
	}()
	r.setInterval(10 * time.Millisecond)
	waitFor(t, 30*time.Second, "three exports after the new interval", func() bool { return exp.n.Load() >= 3 })
	cancel()
	<-done
}

// countingExporter counts exports.
type countingExporter struct{ n atomic.Int64 }

func (e *countingExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (e *countingExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *countingExporter) Export(context.Context, *metricdata.ResourceMetrics) error {
	e.n.Add(1)
	return nil
}

func (e *countingExporter) ForceFlush(context.Context) error { return nil }
func (e *countingExporter) Shutdown(context.Context) error   { return nil }
