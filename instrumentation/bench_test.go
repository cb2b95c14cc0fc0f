package instrumentation_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/nexusmon/nexusmon/instrumentation/host"
	"github.com/nexusmon/nexusmon/instrumentation/process"
	"github.com/nexusmon/nexusmon/instrumentation/runtime"
	"github.com/nexusmon/nexusmon/internal/metrictest"
)

// BenchmarkCollect measures one ManualReader.Collect of every instrument
// nexusmon registers: contrib host and runtime plus nexusmon's host,
// process (this test process) and runtime collectors. Budget (DESIGN.md
// §8): at most 1 ms of CPU per collection.
func BenchmarkCollect(b *testing.B) { benchmarkCollect(b) }

// BenchmarkCollect_Sockets is BenchmarkCollect with loopback TCP sockets
// (a listener and both ends of a connection) and a UDP socket open in the
// watched process, so the process collector's connection count has socket
// tables to read.
func BenchmarkCollect_Sockets(b *testing.B) {
	metrictest.OpenLoopbackSockets(b)
	benchmarkCollect(b)
}

func benchmarkCollect(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	b.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			b.Error(err)
		}
	})
	h, err := host.Start(mp, host.Options{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := process.Start(mp, process.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := runtime.Start(mp, runtime.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		for _, s := range []interface{ Stop() error }{h, p, r} {
			if err := s.Stop(); err != nil {
				b.Error(err)
			}
		}
	})

	// The first collection warms the caches (counts, mounts, devices,
	// frequency) as a running agent has them; the refreshes are amortised
	// over 30-60 s. The budget is CPU time (cpu-ns/op).
	metrics := metrictest.BenchCollect(b, reader)
	b.ReportMetric(float64(metrics), "metrics/op")
}
