package agent

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// reportReader is the schedule of one Discord report: it collects the
// agent's on-demand ManualReader (shared by the five reports, /nexus and the
// self-test) on its own interval and hands each collection to the report's
// exporter. One reader serves every report because the reports read
// cumulative data and differ only in when they collect and in the snapshot
// before (which each report's exporter keeps): every reader holds its own
// aggregation state for every instrument, so five readers held it five
// times. The SDK's PeriodicReader fixes its interval when it is created;
// this schedule takes a new interval from a config reload at once.
type reportReader struct {
	src      func(context.Context, *metricdata.ResourceMetrics) error // collects the ManualReader (Agent.collect)
	exp      sdkmetric.Exporter
	interval atomic.Int64 // nanoseconds
	reset    chan struct{}

	// rm is reused by every collection: the SDK refills its slices in
	// place, where a new one each time allocated every point again (a
	// quarter of the bytes a system report allocated). The exporter copies
	// what it keeps (sdkadapter).
	mu sync.Mutex
	rm metricdata.ResourceMetrics
}

func newReportReader(src func(context.Context, *metricdata.ResourceMetrics) error, exp sdkmetric.Exporter, interval time.Duration) *reportReader {
	r := &reportReader{src: src, exp: exp, reset: make(chan struct{}, 1)}
	r.interval.Store(int64(interval))
	return r
}

// setInterval makes the next collection come d after the last one (or now,
// when that time has passed).
func (r *reportReader) setInterval(d time.Duration) {
	if time.Duration(r.interval.Swap(int64(d))) == d {
		return
	}
	select {
	case r.reset <- struct{}{}:
	default:
	}
}

// run collects and exports every interval until ctx ends. Like the SDK's
// PeriodicReader it makes no collection at the end: the Reporter would drop
// it (a report at shutdown would repeat the last one).
func (r *reportReader) run(ctx context.Context, now bool, log *slog.Logger) {
	last := time.Now()
	if now {
		if err := r.collect(ctx); err != nil && ctx.Err() == nil {
			log.Warn("first report", "err", err)
		}
		last = time.Now()
	}
	t := time.NewTimer(time.Until(last.Add(time.Duration(r.interval.Load()))))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.reset:
			t.Reset(max(0, time.Until(last.Add(time.Duration(r.interval.Load())))))
		case <-t.C:
			last = time.Now()
			// Failures are the Reporter's to log and count (it does); the
			// SDK's PeriodicReader would only hand them to otel.Handle.
			_ = r.collect(ctx)
			t.Reset(time.Duration(r.interval.Load()))
		}
	}
}

// collect makes one collection and exports it, within max(interval, 10 s).
func (r *reportReader) collect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(time.Duration(r.interval.Load()), 10*time.Second))
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.src(ctx, &r.rm); err != nil {
		return err
	}
	return r.exp.Export(ctx, &r.rm)
}
