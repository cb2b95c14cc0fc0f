package instrumentation_test

import (
	"context"
	"net"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close() // loopback listener of this benchmark; nothing to flush
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close() // as above
	server, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close() // as above
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer udp.Close() // as above
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

	ctx := context.Background()
	var rm metricdata.ResourceMetrics
	// Warm the caches (counts, mounts, devices, frequency) as a running
	// agent has them; the refreshes are amortised over 30-60 s.
	if err := reader.Collect(ctx, &rm); err != nil {
		b.Fatal(err)
	}
	metrics := 0
	for _, sm := range rm.ScopeMetrics {
		metrics += len(sm.Metrics)
	}
	b.ReportAllocs()
	before := metrictest.CPUTime(b)
	b.ResetTimer()
	for b.Loop() {
		if err := reader.Collect(ctx, &rm); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// The budget is CPU time, not wall time: on a shared 2-core machine
	// ns/op also counts time spent waiting for a core.
	b.ReportMetric(float64((metrictest.CPUTime(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(metrics), "metrics/op")
}
