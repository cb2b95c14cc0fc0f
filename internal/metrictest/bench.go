package metrictest

import (
	"context"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// CPUTime returns the user + system CPU time of this process so far.
// Benchmarks report its difference per operation as cpu-ns/op next to
// ns/op: on a shared machine wall time also counts time spent waiting for
// a core.
func CPUTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchCollect is the loop of a collection benchmark: one collection of r
// first (what a running agent has cached: counts, mounts, socket
// protocols), then b.N collections into the same ResourceMetrics,
// reporting allocations and cpu-ns/op. It returns the number of metrics
// the first collection had.
func BenchCollect(b *testing.B, r sdkmetric.Reader) (metrics int) {
	b.Helper()
	ctx := context.Background()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(ctx, &rm); err != nil {
		b.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		metrics += len(sm.Metrics)
	}
	b.ReportAllocs()
	before := CPUTime(b)
	b.ResetTimer()
	for b.Loop() {
		if err := r.Collect(ctx, &rm); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((CPUTime(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
	return metrics
}

// OpenLoopbackSockets opens, in this process, a TCP listener on loopback,
// both ends of a connection to it and a UDP socket, closed when tb ends:
// sockets for the process collector's connection count.
func OpenLoopbackSockets(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() }) // loopback, nothing to flush
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { server.Close() })
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { udp.Close() })
}

// OpenFDs returns how many descriptors this process has open.
func OpenFDs(tb testing.TB) int {
	tb.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(fds)
}
